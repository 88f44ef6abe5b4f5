import path from 'node:path';
import type { Component, ComponentName, StackContext } from '../component';
import { launchDetached, livePid, stopProcess } from '../processes';
import { repoRoot } from '../paths';
import { LOOPBACK } from '../ports';
import { APP_PRELOAD_FLAGS } from '../../../lib/telemetry/preload-flags';

interface AppProcessSpec {
  name: ComponentName;
  /** TypeScript entry point, relative to the repository root. */
  entry: string;
  dependsOn: ComponentName[];
  /** The port whose GET /health answers for this process. */
  healthPort: (ctx: StackContext) => number;
  /** Flags for node itself (V8 tuning), before the entry point. */
  nodeFlags?: string[];
  /** Runs once its dependencies are up and before the process starts (e.g. seeding demo data). */
  beforeStart?: (ctx: StackContext) => Promise<void>;
}

/** The environment the app processes read, derived from the stack's ports. */
export function appEnvironment(ctx: StackContext): NodeJS.ProcessEnv {
  const p = ctx.ports;
  const password = ctx.env.TRACKOPS_DB_PASSWORD ?? 'trackops';
  return {
    ...ctx.env,
    // A development stack: its credentials and signing key are the public local defaults, which
    // NODE_ENV=production refuses (lib/production-checks.ts).
    NODE_ENV: ctx.env.NODE_ENV ?? 'development',
    ORDERS_DATABASE_URL:
      ctx.env.ORDERS_DATABASE_URL ??
      `postgresql://trackops_orders:${password}@${LOOPBACK}:${p.POSTGRES_PORT}/trackops_orders`,
    INVENTORY_DATABASE_URL:
      ctx.env.INVENTORY_DATABASE_URL ??
      `postgresql://trackops_inventory:${password}@${LOOPBACK}:${p.POSTGRES_PORT}/trackops_inventory`,
    REDIS_URL: ctx.env.REDIS_URL ?? `redis://${LOOPBACK}:${p.REDIS_PORT}`,
    KAFKA_BROKERS: ctx.env.KAFKA_BROKERS ?? `${LOOPBACK}:${p.KAFKA_PORT}`,
    KAFKA_CONNECT_URL: ctx.env.KAFKA_CONNECT_URL ?? `http://${LOOPBACK}:${p.CONNECT_PORT}`,
    TEMPORAL_ADDRESS: ctx.env.TEMPORAL_ADDRESS ?? `${LOOPBACK}:${p.TEMPORAL_PORT}`,
    // The stack's health checks and the demo reach the app on loopback.
    HOST: ctx.env.HOST ?? LOOPBACK,
    API_PORT: String(p.API_PORT),
    WORKER_METRICS_PORT: String(p.WORKER_METRICS_PORT),
    CONSUMERS_METRICS_PORT: String(p.CONSUMERS_METRICS_PORT),
    // Where the OTel preload sends spans unless OTEL_EXPORTER_OTLP_ENDPOINT names another backend.
    ZIPKIN_PORT: String(p.ZIPKIN_PORT),
  };
}

/** One of TrackOps' own Node processes (API, worker, consumers), run from its TypeScript source. */
export function appProcess(spec: AppProcessSpec): Component {
  const pidFile = (ctx: StackContext) => path.join(ctx.paths.run, `${spec.name}.pid`);
  return {
    name: spec.name,
    dependsOn: spec.dependsOn,
    startTimeoutMs: 90_000,
    port: spec.healthPort,
    logFile: (ctx) => path.join(ctx.paths.logs, `${spec.name}.log`),
    pid: (ctx) => livePid(pidFile(ctx)),
    dataDirs: () => [],
    async install() {
      // Node dependencies are installed by bin/trackops before any command runs.
    },
    async isHealthy(ctx) {
      try {
        const response = await fetch(`http://${LOOPBACK}:${spec.healthPort(ctx)}/health`, {
          signal: AbortSignal.timeout(1500),
        });
        return response.ok;
      } catch {
        return false;
      }
    },
    async start(ctx) {
      await spec.beforeStart?.(ctx);
      launchDetached({
        command: process.execPath,
        args: [...(spec.nodeFlags ?? []), ...APP_PRELOAD_FLAGS, path.join(repoRoot, spec.entry)],
        cwd: repoRoot,
        env: appEnvironment(ctx),
        logFile: this.logFile(ctx),
        pidFile: pidFile(ctx),
      });
    },
    async configure() {
      // App processes configure themselves from the environment at start-up.
    },
    async stop(ctx) {
      await stopProcess(pidFile(ctx), 30_000);
    },
  };
}
