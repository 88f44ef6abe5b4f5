import { NativeConnection, Runtime, Worker, type State, type WorkerInterceptors } from '@temporalio/worker';
import Redis from 'ioredis';
import { createActivities } from '../activities/create-activities';
import { createMaintenanceActivities } from '../activities/maintenance-activities';
import { createOutboxActivities } from '../activities/outbox-activities';
import { ResilientPaymentGateway } from '../activities/payments/resilient-gateway';
import { SimulatedPaymentProvider } from '../activities/payments/simulated-provider';
import { createInventoryDb } from '../domain/inventory/db';
import { createOrdersDb } from '../domain/orders/db';
import { durationMs, loadConfig } from '../lib/config';
import { assertProductionReady } from '../lib/production-checks';
import { startHealthServer } from '../lib/health-server';
import { databaseProbe, redisProbe } from '../lib/health/probes';
import { createLogger } from '../lib/logger';
import { createProcessRegistry } from '../lib/metrics/registry';
import { temporalSdkMetricsReader, temporalSdkTelemetry } from '../lib/metrics/temporal-sdk-metrics';
import { temporalLogger } from '../lib/temporal-logger';
import { tracingWorkerInterceptors, tracingWorkflowSinks } from '../lib/telemetry/temporal-tracing';
import { sagaStepSpans } from './saga-step-spans';
import { ensureMaintenanceSchedules } from './maintenance-schedules';
import { SagaMetrics } from './saga-metrics';

const SHUTDOWN_GRACE_MS = 30_000;

/** The Temporal worker: runs the order saga and its activities on task queue `orders`. */
async function main() {
  const config = loadConfig();
  assertProductionReady(config, { verifiesTokens: false });
  const logger = createLogger('worker', config.LOG_LEVEL);
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: temporalSdkTelemetry(config.HOST, config.TEMPORAL_SDK_METRICS_PORT),
  });
  const registry = createProcessRegistry('worker');
  const sagaMetrics = new SagaMetrics(registry);

  const ordersDb = createOrdersDb(config.ORDERS_DATABASE_URL, config.DATABASE_POOL_SIZE);
  const inventoryDb = createInventoryDb(config.INVENTORY_DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  const payments = new ResilientPaymentGateway(
    new SimulatedPaymentProvider(redis, {
      declineRate: config.PAYMENT_DECLINE_RATE,
      latencyMs: config.PAYMENT_LATENCY_MS,
      timeoutRate: config.PAYMENT_TIMEOUT_RATE,
      hangMs: config.PAYMENT_TIMEOUT_MS * 2,
    }),
    { callTimeoutMs: config.PAYMENT_TIMEOUT_MS, failuresToOpen: 5, halfOpenAfterMs: 10_000 },
  );

  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    interceptors: withSagaMetrics(tracingWorkerInterceptors([sagaStepSpans]), sagaMetrics),
    sinks: tracingWorkflowSinks(),
    activities: {
      ...createActivities({ ordersDb, inventoryDb, payments }),
      ...createMaintenanceActivities({ inventoryDb }),
      ...createOutboxActivities(
        { ordersDb, inventoryDb },
        {
          outboxRetentionMs: durationMs(config.OUTBOX_RETENTION),
          processedEventsRetentionMs: durationMs(config.PROCESSED_EVENTS_RETENTION),
        },
      ),
    },
    shutdownGraceTime: '20s',
  });
  await ensureMaintenanceSchedules(config, logger);

  const health = await startHealthServer({
    port: config.WORKER_METRICS_PORT,
    host: config.HOST,
    registry,
    logger,
    live: () => worker.getState() === 'RUNNING',
    ready: {
      temporal: { check: async () => ({ workerState: assertRunning(worker.getState()) }) },
      ordersDb: databaseProbe(ordersDb),
      inventoryDb: databaseProbe(inventoryDb),
      // The simulated payment provider keeps its ledger in Redis: payments wait for it.
      redis: redisProbe(redis, { optional: false }),
    },
    extraMetrics: temporalSdkMetricsReader(config.HOST, config.TEMPORAL_SDK_METRICS_PORT, logger),
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight tasks');
    worker.shutdown();
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker running');
  await worker.run();
  health.close();
  await Promise.allSettled([ordersDb.$disconnect(), inventoryDb.$disconnect(), connection.close()]);
  redis.disconnect();
  logger.info('worker stopped');
}

/** The saga metrics' activity interceptor, after the tracing ones so it runs inside the activity's span. */
function withSagaMetrics(interceptors: WorkerInterceptors, metrics: SagaMetrics): WorkerInterceptors {
  return { ...interceptors, activity: [...(interceptors.activity ?? []), metrics.interceptor] };
}

function assertRunning(state: State): State {
  if (state !== 'RUNNING') throw new Error(`worker is ${state}`);
  return state;
}

main().catch((error: unknown) => {
  createLogger('worker').fatal({ err: error }, 'worker failed');
  process.exit(1);
});
