import fs from 'node:fs';
import path from 'node:path';
import { httpOk } from '../commands';
import type { Component, ComponentName, StackContext } from '../component';
import { launchDetached, livePid, stopProcess } from '../processes';
import { repoRoot } from '../paths';
import { LOOPBACK } from '../ports';
import { instanceHealthPort, instancePorts, MAX_INSTANCES, readScale, type ScalableName } from '../scale';
import { APP_PRELOAD_FLAGS } from '../../../lib/telemetry/preload-flags';

interface AppProcessSpec {
  name: ScalableName;
  /** TypeScript entry point, relative to the repository root. */
  entry: string;
  dependsOn: ComponentName[];
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
    // That Zipkin's UI, which the operator view links each order's traces to.
    TRACE_UI_URL: ctx.env.TRACE_UI_URL ?? `http://${LOOPBACK}:${p.ZIPKIN_PORT}/zipkin`,
    // The stack's Temporal Web UI, which it links each order's saga to (on its moved port too).
    TEMPORAL_UI_URL: ctx.env.TEMPORAL_UI_URL ?? `http://${LOOPBACK}:${p.TEMPORAL_UI_PORT}`,
  };
}

/** Instance `index` (0-based) of an app process: `api`, then `api-2`, `api-3`, ... */
const instanceName = (name: ScalableName, index: number) => (index === 0 ? name : `${name}-${index + 1}`);

/**
 * One of TrackOps' own Node processes (API, worker, consumers), run from its TypeScript source, as
 * many instances as `stack up --scale` asked for (deploy/stack/scale.ts), each on its own ports.
 */
export function appProcess(spec: AppProcessSpec): Component {
  const pidFile = (ctx: StackContext, index: number) =>
    path.join(ctx.paths.run, `${instanceName(spec.name, index)}.pid`);
  const logFile = (ctx: StackContext, index: number) =>
    path.join(ctx.paths.logs, `${instanceName(spec.name, index)}.log`);
  const wanted = (ctx: StackContext) => readScale(ctx)[spec.name];
  /** Every instance with a pid file, wanted or left over from a larger scale. */
  const startedIndexes = (ctx: StackContext) => {
    const indexes: number[] = [];
    for (let index = 0; index < MAX_INSTANCES; index += 1) {
      if (fs.existsSync(pidFile(ctx, index))) indexes.push(index);
    }
    return indexes;
  };
  const instanceHealthy = (ctx: StackContext, index: number) =>
    httpOk(`http://${LOOPBACK}:${instanceHealthPort(ctx, spec.name, index)}/health`);
  const range = (count: number) => Array.from({ length: count }, (_, index) => index);

  return {
    name: spec.name,
    dependsOn: spec.dependsOn,
    startTimeoutMs: 90_000,
    port: (ctx) => instanceHealthPort(ctx, spec.name, 0),
    logFile: (ctx) => logFile(ctx, 0),
    /** The first live instance's pid: what `down`, the status line and the fault tests act on. */
    pid: (ctx) => {
      for (const index of startedIndexes(ctx)) {
        const pid = livePid(pidFile(ctx, index));
        if (pid !== undefined) return pid;
      }
      return undefined;
    },
    dataDirs: () => [],
    async install() {
      // Node dependencies are installed by bin/trackops before any command runs.
    },
    async isHealthy(ctx) {
      const healthy = await Promise.all(range(wanted(ctx)).map((index) => instanceHealthy(ctx, index)));
      return healthy.every(Boolean);
    },
    async instances(ctx) {
      return Promise.all(
        range(wanted(ctx)).map(async (index) => ({
          name: instanceName(spec.name, index),
          port: instanceHealthPort(ctx, spec.name, index),
          pid: livePid(pidFile(ctx, index)),
          healthy: await instanceHealthy(ctx, index),
        })),
      );
    },
    async start(ctx) {
      await spec.beforeStart?.(ctx);
      for (const index of range(wanted(ctx))) {
        if (livePid(pidFile(ctx, index)) !== undefined) continue;
        launchDetached({
          command: process.execPath,
          args: [...(spec.nodeFlags ?? []), ...APP_PRELOAD_FLAGS, path.join(repoRoot, spec.entry)],
          cwd: repoRoot,
          env: { ...appEnvironment(ctx), ...instancePorts(ctx, spec.name, index) },
          logFile: logFile(ctx, index),
          pidFile: pidFile(ctx, index),
        });
      }
    },
    async configure(ctx) {
      // App processes configure themselves from the environment at start-up; what is left to do
      // is stopping the instances a smaller --scale no longer wants.
      const surplus = startedIndexes(ctx).filter((index) => index >= wanted(ctx));
      await Promise.all(surplus.map((index) => stopProcess(pidFile(ctx, index), 30_000)));
      if (surplus.length > 0)
        ctx.progress(spec.name, `stopped ${surplus.length} instance(s) beyond the scale`);
    },
    async stop(ctx) {
      await Promise.all(startedIndexes(ctx).map((index) => stopProcess(pidFile(ctx, index), 30_000)));
    },
  };
}
