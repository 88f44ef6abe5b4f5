import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../lib/config';
import { assertProductionReady } from '../lib/production-checks';
import { startHealthServer } from '../lib/health-server';
import { pinoLogCreator } from '../lib/kafka-logging';
import { createLogger } from '../lib/logger';
import { createProcessRegistry } from '../lib/metrics/registry';
import { consumerMetrics } from './consumer-metrics';
import { consumerReadiness } from './readiness';
import { consumerDefinitions } from './registry';
import { startOutboxRelay } from './relay/relay-loop';
import { ConsumerRunner } from './runtime/consumer-runner';
import { flushTelemetry } from '../lib/telemetry/runtime';

const SHUTDOWN_GRACE_MS = 30_000;

/** The Kafka consumers: one consumer group each; run more instances to share the partitions. */
async function main() {
  const config = loadConfig();
  assertProductionReady(config, { verifiesTokens: false });
  const logger = createLogger('consumers', config.LOG_LEVEL);
  const kafka = new Kafka({
    clientId: 'trackops-consumers',
    brokers: config.KAFKA_BROKERS.split(','),
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  const registry = createProcessRegistry('consumers');
  const metrics = consumerMetrics(registry);
  const runners = consumerDefinitions({ config, logger, producer }).map(
    (definition) => new ConsumerRunner(kafka, producer, definition, logger, metrics),
  );
  await Promise.all(runners.map((runner) => runner.start()));
  // The fallback path from the outbox tables to Kafka, for when Debezium cannot run (CDC is the default).
  const relay = config.OUTBOX_RELAY_ENABLED
    ? startOutboxRelay({ config, logger, producer, registry })
    : undefined;
  const readiness = consumerReadiness(config, logger, runners);
  const health = await startHealthServer({
    port: config.CONSUMERS_METRICS_PORT,
    host: config.HOST,
    registry,
    logger,
    live: () => runners.every((runner) => runner.isRunning),
    ready: readiness.probes,
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
      .then(() => readiness.close())
      .finally(() => {
        health.close();
        logger.info('consumers stopped');
        void flushTelemetry().finally(() => process.exit(0));
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  createLogger('consumers').fatal({ err: error }, 'consumers failed to start');
  process.exit(1);
});
