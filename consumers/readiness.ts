import Redis from 'ioredis';
import { createInventoryDb } from '../domain/inventory/db';
import { createOrdersDb } from '../domain/orders/db';
import type { AppConfig } from '../lib/config';
import { databaseProbe, redisProbe, temporalProbe } from '../lib/health/probes';
import type { Probe } from '../lib/health/readiness';
import type { Logger } from '../lib/logger';
import { createTemporalClient } from '../lib/temporal-client';
import type { ConsumerRunner } from './runtime/consumer-runner';

/**
 * What the consumers process needs to apply messages, for /health/ready: its consumer groups
 * running, both databases, Temporal (the signals) and Redis (the cache). Probed through clients of
 * their own (one connection each), so a probe never waits behind a consumer's batch. Redis down is
 * degraded: only the cache consumer waits for it, every other group goes on.
 */
export function consumerReadiness(
  config: AppConfig,
  logger: Logger,
  runners: readonly ConsumerRunner[],
): { probes: Record<string, Probe>; close: () => Promise<void> } {
  const ordersDb = createOrdersDb(config.ORDERS_DATABASE_URL, 1);
  const inventoryDb = createInventoryDb(config.INVENTORY_DATABASE_URL, 1);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', (error: Error) =>
    logger.debug({ err: error }, 'readiness probe: redis connection error'),
  );
  const temporal = createTemporalClient(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
  return {
    probes: {
      kafka: {
        check: async () => {
          const stopped = runners.filter((runner) => !runner.isRunning).length;
          if (stopped > 0) throw new Error(`${stopped} of ${runners.length} consumers not running`);
          return { consumers: runners.length };
        },
      },
      ordersDb: databaseProbe(ordersDb),
      inventoryDb: databaseProbe(inventoryDb),
      temporal: temporalProbe(temporal),
      redis: redisProbe(redis, { optional: true }),
    },
    close: async () => {
      redis.disconnect();
      await Promise.allSettled([
        ordersDb.$disconnect(),
        inventoryDb.$disconnect(),
        temporal.connection.close(),
      ]);
    },
  };
}
