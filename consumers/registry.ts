import Redis from 'ioredis';
import type { Producer } from 'kafkajs';
import { cacheFromConfig } from '../cache/versioned-cache';
import { createInventoryDb } from '../domain/inventory/db';
import { createOrdersDb } from '../domain/orders/db';
import { eventSchemaRegistry } from '../events/registry';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createTemporalClient } from '../lib/temporal-client';
import { APPLICATION_EVENTS_CONSUMER, applicationEventsConsumer } from './application-events';
import { CACHE_CONSUMER_NAME, createCacheConsumer, type CacheConsumerDeps } from './cache-consumer';
import { DELIVERY_MARKER_CONSUMER, deliveryMarkerConsumer } from './relay/delivery-marker';
import { RESTOCK_SIGNALS_CONSUMER, restockSignalsConsumer, type RestockSignalsDeps } from './restock-signals';
import type { ConsumerDefinition } from './runtime/consumer-runner';
import {
  WORKFLOW_SIGNALS_CONSUMER,
  workflowSignalsConsumer,
  type WorkflowSignalsDeps,
} from './workflow-signals';

/** What the consumers process has at start-up, before any consumer's own clients exist. */
export interface ConsumerContext {
  config: AppConfig;
  logger: Logger;
  producer: Producer;
}

/**
 * The cache consumer's own Redis connection and database pools, separate from the other consumers'.
 * Auto-pipelining: the calls a batch issues together leave in one write (one round trip).
 */
function cacheConsumerDeps({ config, logger }: ConsumerContext): CacheConsumerDeps {
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'cache consumer: redis connection error'));
  return {
    // The consumer's writes must land or be retried: a slow Redis gets more time than the API's reads.
    cache: cacheFromConfig(redis, { ...config, CACHE_ENABLED: true }, logger, { opTimeoutMs: 2000 }),
    ordersDb: createOrdersDb(config.ORDERS_DATABASE_URL, 6),
    inventoryDb: createInventoryDb(config.INVENTORY_DATABASE_URL, 3),
  };
}

/**
 * How to build each consumer group, by its name (also its group id). This module and main.ts are
 * the consumers process's composition root: the only places that open pools and clients; each
 * consumer takes what it uses as arguments. A group's clients are made only when it is built.
 */
function consumerFactories(context: ConsumerContext): Record<string, () => ConsumerDefinition> {
  const { config, logger, producer } = context;
  // One orders database pool and Temporal client for both signalling consumers. The Temporal
  // connection is lazy, so the process starts while Temporal is still down.
  let signalling: (WorkflowSignalsDeps & RestockSignalsDeps) | undefined;
  const signallingDeps = () =>
    (signalling ??= {
      ordersDb: createOrdersDb(config.ORDERS_DATABASE_URL, 4),
      temporal: createTemporalClient(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE),
      logger,
    });
  return {
    [APPLICATION_EVENTS_CONSUMER]: () => applicationEventsConsumer({ producer }),
    [CACHE_CONSUMER_NAME]: () => createCacheConsumer(cacheConsumerDeps(context)),
    [WORKFLOW_SIGNALS_CONSUMER]: () => workflowSignalsConsumer(signallingDeps()),
    [RESTOCK_SIGNALS_CONSUMER]: () => restockSignalsConsumer(signallingDeps()),
    [DELIVERY_MARKER_CONSUMER]: () =>
      deliveryMarkerConsumer({
        orders: createOrdersDb(config.ORDERS_DATABASE_URL, 2),
        inventory: createInventoryDb(config.INVENTORY_DATABASE_URL, 2),
      }),
  };
}

/** The names in CONSUMER_GROUPS (comma separated), or all when it is empty. */
function selectGroups(known: readonly string[], groups: string): string[] {
  const wanted = groups
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (wanted.length === 0) return [...known];
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw new Error(`CONSUMER_GROUPS names unknown consumer groups: ${unknown.join(', ')}`);
  return known.filter((name) => wanted.includes(name));
}

/** The consumer groups CONSUMER_GROUPS selects (all when empty), built with their clients. */
export function consumerDefinitions(context: ConsumerContext): ConsumerDefinition[] {
  const factories = consumerFactories(context);
  const selected = selectGroups(Object.keys(factories), context.config.CONSUMER_GROUPS);
  // The payload schemas are compiled now, once: a broken schema file stops the process at start
  // rather than the first partition that meets its event.
  eventSchemaRegistry();
  return selected.map((name) => factories[name]!());
}
