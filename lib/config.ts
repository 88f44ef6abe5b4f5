import { z } from 'zod';
import { ORDERS_TASK_QUEUE } from '../workflows/contract';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

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
  API_PORT: port(8080),
  WORKER_METRICS_PORT: port(9464),
  CONSUMERS_METRICS_PORT: port(9465),
  /** Simulated payment provider: the share of authorizations it declines, 0..1. */
  PAYMENT_DECLINE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** Simulated payment provider: added latency per call, in milliseconds. */
  PAYMENT_LATENCY_MS: z.coerce.number().int().min(0).default(50),
  /** Simulated payment provider: the share of calls that hang past the client timeout, 0..1. */
  PAYMENT_TIMEOUT_RATE: z.coerce.number().min(0).max(1).default(0),
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** How long a confirmed order may wait for shipment before an SLA alert, e.g. 48h. */
  SHIPMENT_SLA: z.string().default('48h'),
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
