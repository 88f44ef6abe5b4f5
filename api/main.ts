import Redis from 'ioredis';
import { createInventoryDb } from '../domain/inventory/db';
import { createOrdersDb } from '../domain/orders/db';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { assertProductionReady } from '../lib/production-checks';
import { flushTelemetry } from '../lib/telemetry/runtime';
import { createTemporalClient } from '../lib/temporal-client';
import { createApp } from './app';
import { OrderEventBus } from './tracking/order-event-bus';

const SHUTDOWN_GRACE_MS = 15_000;

async function main() {
  const config = loadConfig();
  assertProductionReady(config, { verifiesTokens: true });
  const logger = createLogger('api', config.LOG_LEVEL);
  const ordersDb = createOrdersDb(config.ORDERS_DATABASE_URL, config.DATABASE_POOL_SIZE);
  const inventoryDb = createInventoryDb(config.INVENTORY_DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: false });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  const temporal = createTemporalClient(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);

  const orderEvents = new OrderEventBus(config.KAFKA_BROKERS.split(','), logger);
  const app = createApp({ config, logger, ordersDb, inventoryDb, temporal, redis, orderEvents });
  const server = app.listen(config.API_PORT, config.HOST, () => {
    logger.info({ port: config.API_PORT }, 'api listening');
  });
  // Idle keep-alive connections outlive the clients' own keep-alive (undici: 4 s, proxies: 60 s),
  // so the server never closes a connection a client is about to reuse ("other side closed").
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    setTimeout(() => {
      logger.error('drain took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    // Open event streams would hold the server open: ending them sends their clients to another instance.
    const feedStopped = orderEvents.stop();
    server.close(() => {
      void Promise.allSettled([
        ordersDb.$disconnect(),
        inventoryDb.$disconnect(),
        temporal.connection.close(),
        feedStopped,
      ]).then(() => {
        redis.disconnect();
        logger.info('api stopped');
        void flushTelemetry().finally(() => process.exit(0));
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  createLogger('api').fatal({ err: error }, 'api failed to start');
  process.exit(1);
});
