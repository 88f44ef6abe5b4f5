import { z } from 'zod';
import { ORDERS_TASK_QUEUE } from '../workflows/contract';
import { parseDuration } from '../workflows/duration';

export { durationMs } from '../workflows/duration';

/** The development signing key: public on purpose, refused in production. */
export const LOCAL_JWT_SECRET = 'trackops-local-development-signing-key-not-secret';

/** The development tracking-token key: public on purpose, like LOCAL_JWT_SECRET. */
export const LOCAL_TRACKING_TOKEN_SECRET = 'trackops-local-tracking-token-key-not-secret';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((value) => (parseDuration(value) ?? 0) > 0, {
      message: 'a positive duration such as 90s, 10m, 24h or 7d',
    });

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/**
 * Every setting the app processes read, with safe local defaults. Validated once at start-up so a
 * typo fails loudly instead of half-working. docker-compose.yml sets the same names.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ORDERS_DATABASE_URL: z
    .string()
    .url()
    .default('postgresql://trackops_orders:trackops@127.0.0.1:5432/trackops_orders'),
  INVENTORY_DATABASE_URL: z
    .string()
    .url()
    .default('postgresql://trackops_inventory:trackops@127.0.0.1:5432/trackops_inventory'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  KAFKA_CONNECT_URL: z.string().url().default('http://127.0.0.1:8083'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** The task queue sagas run on; a separate queue isolates a test's own worker. */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(ORDERS_TASK_QUEUE),
  /**
   * The address the API and the health/metrics servers bind: loopback locally, 0.0.0.0 in the
   * container image, where docker-compose's published ports must reach them.
   */
  HOST: z
    .union([z.ipv4(), z.ipv6(), z.literal('localhost')], { error: 'must be an IP address' })
    .default('127.0.0.1'),
  API_PORT: port(8080),
  WORKER_METRICS_PORT: port(9464),
  CONSUMERS_METRICS_PORT: port(9465),
  /** The Temporal SDK's own Prometheus endpoint in the worker (its /metrics includes that text too). */
  TEMPORAL_SDK_METRICS_PORT: port(9466),
  /** Simulated payment provider: the share of authorizations it declines, 0..1. */
  PAYMENT_DECLINE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** Simulated payment provider: added latency per call, in milliseconds. */
  PAYMENT_LATENCY_MS: z.coerce.number().int().min(0).default(50),
  /** Simulated payment provider: the share of calls that hang past the client timeout, 0..1. */
  PAYMENT_TIMEOUT_RATE: z.coerce.number().min(0).max(1).default(0),
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** How long a confirmed order may wait for shipment before an SLA alert, e.g. 48h. */
  SHIPMENT_SLA: duration('48h'),
  /**
   * How long POST /api/orders waits for the saga to write the order before answering 503: a burst
   * beyond what the worker places per second queues this long rather than being refused.
   */
  ORDER_PLACEMENT_TIMEOUT: duration('30s'),
  /** How long a backordered saga waits for a restock before it cancels (BACKORDER_EXPIRED), e.g. 7d. */
  BACKORDER_TIMEOUT: duration('7d'),
  /** Fallback polling relay from the outbox tables to Kafka, in the consumers process; CDC is the default. */
  OUTBOX_RELAY_ENABLED: flag(false),
  /** How often the fallback relay polls the outbox tables, in milliseconds. */
  OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Consumer groups the consumers process runs, comma separated (e.g. to scale one apart); empty: all. */
  CONSUMER_GROUPS: z.string().default(''),
  /**
   * Outbox rows older than this are deleted by the outbox-cleanup schedule. Debezium publishes a row
   * within seconds of its commit (it reads the WAL, not the table), so this only bounds what a
   * connector started from scratch (snapshot) or the fallback relay can still publish late.
   */
  OUTBOX_RETENTION: duration('24h'),
  /**
   * processed_events (consumer de-duplication) rows older than this are deleted by the same
   * schedule; keep it at least as long as the Kafka topics' retention (7 days), or a consumer
   * replaying a topic from its start would apply events a second time.
   */
  PROCESSED_EVENTS_RETENTION: duration('7d'),
  /** Read-through Redis cache in the API (orders, order list pages, inventory items); false: always the database. */
  CACHE_ENABLED: flag(true),
  /** Lifetime of a cached order or inventory item, and of an invalidation's version fence. */
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Lifetime of a cached order list page (pages are also dropped by every order change). */
  CACHE_LIST_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  /**
   * HS256 key of the locally signed bearer tokens (`trackops token`). The default is public, for
   * development only: with NODE_ENV=production the processes refuse it (lib/production-checks.ts).
   */
  AUTH_JWT_SECRET: z.string().min(32).default(LOCAL_JWT_SECRET),
  /** Production: verify RS256 tokens against this JSON Web Key Set instead of AUTH_JWT_SECRET. */
  AUTH_JWKS_URL: z.union([z.url(), z.literal('')]).default(''),
  AUTH_JWT_ISSUER: z.string().min(1).default('trackops'),
  AUTH_JWT_AUDIENCE: z.string().min(1).default('trackops-api'),
  /** Browser origins allowed to call the API (CORS), comma separated; empty: no cross-origin caller. */
  CORS_ORIGINS: z.string().default(''),
  /**
   * Requests one token subject (or, without a token, one client address) may make to /api per
   * RATE_LIMIT_WINDOW; operators and admins are not limited.
   */
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_WINDOW: duration('1m'),
  /**
   * Key of the per-order tracking tokens (HMAC-SHA256 of the order id) that open `/track/{id}` and
   * the order's event stream. The default is public, for development only.
   */
  TRACKING_TOKEN_SECRET: z.string().min(32).default(LOCAL_TRACKING_TOKEN_SECRET),
  /** The Temporal Web UI the operator view links each order's saga to. */
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  /**
   * The trace UI (Zipkin's, at its `/zipkin` path) the operator view links each order's traces to:
   * a search for the spans tagged with the order's workflow id.
   */
  TRACE_UI_URL: z.url().default('http://127.0.0.1:9411/zipkin'),
});

export type AppConfig = z.infer<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${problems}`);
  }
  return parsed.data;
}

/** The names of every environment variable the app reads. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof AppConfig)[];
