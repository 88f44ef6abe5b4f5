import { Kafka, logLevel } from 'kafkajs';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { loadConfig } from '../lib/config';
import { assertProductionReady } from '../lib/production-checks';
import { startHealthServer } from '../lib/health-server';
import { createLogger } from '../lib/logger';
import { consumerDefinitions } from './registry';
import { startOutboxRelay } from './relay/relay-loop';
import { ConsumerRunner, type ConsumerMetrics } from './runtime/consumer-runner';

const SHUTDOWN_GRACE_MS = 30_000;

function consumerMetrics(registry: Registry): ConsumerMetrics {
  const labelNames = ['consumer', 'topic'] as const;
  const processed = new Counter({
    name: 'trackops_consumer_processed_total',
    help: 'messages applied',
    labelNames,
    registers: [registry],
  });
  const retried = new Counter({
    name: 'trackops_consumer_retries_total',
    help: 'handler retries',
    labelNames,
    registers: [registry],
  });
  const dead = new Counter({
    name: 'trackops_consumer_dead_lettered_total',
    help: 'messages sent to a DLQ',
    labelNames,
    registers: [registry],
  });
  return {
    processed: (consumer, topic) => processed.inc({ consumer, topic }),
    retried: (consumer, topic) => retried.inc({ consumer, topic }),
    deadLettered: (consumer, topic) => dead.inc({ consumer, topic }),
  };
}

/** The Kafka consumers: one consumer group each; run more instances to share the partitions. */
async function main() {
  const config = loadConfig();
  assertProductionReady(config, { verifiesTokens: false });
  const logger = createLogger('consumers', config.LOG_LEVEL);
  const kafka = new Kafka({
    clientId: 'trackops-consumers',
    brokers: config.KAFKA_BROKERS.split(','),
    logLevel: logLevel.WARN,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trackops_consumers_' });
  const metrics = consumerMetrics(registry);
  const runners = consumerDefinitions({ config, logger, producer }).map(
    (definition) => new ConsumerRunner(kafka, producer, definition, logger, metrics),
  );
  await Promise.all(runners.map((runner) => runner.start()));
  // The fallback path from the outbox tables to Kafka, for when Debezium cannot run (CDC is the default).
  const relay = config.OUTBOX_RELAY_ENABLED
    ? startOutboxRelay({ config, logger, producer, registry })
    : undefined;
  const health = await startHealthServer({
    port: config.CONSUMERS_METRICS_PORT,
    host: config.HOST,
    registry,
    live: () => runners.every((runner) => runner.isRunning),
  });
  logger.info({ consumers: runners.length }, 'consumers running');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: committing and leaving the consumer groups');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    void Promise.allSettled(runners.map((runner) => runner.stop()))
      .then(() => relay?.stop())
      .then(() => producer.disconnect())
      .finally(() => {
        health.close();
        logger.info('consumers stopped');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  createLogger('consumers').fatal({ err: error }, 'consumers failed to start');
  process.exit(1);
});
