import { Router } from 'express';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { z } from 'zod';
import { OutboxRelay } from '../../messaging/outbox/outbox-relay';
import { OUTBOX_CONTEXTS } from '../../messaging/outbox/outbox-wire';
import type { ApiDependencies } from '../dependencies';
import { notFound, unavailable } from '../errors';
import { assertPageDepth, queryInteger, toPage } from '../pagination';
import { parseOrThrow } from '../validation';

export const processAllSchema = z.strictObject({
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** Also republish rows the relay already published (all, or those since `since`). */
  forceRetry: z.boolean().default(false),
  since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
});

export const eventIdSchema = z.uuid({ error: 'must be a UUID' });
export const unprocessedQuerySchema = z.object({
  page: queryInteger(0, 1_000_000).default(0),
  size: queryInteger(1, 100).default(20),
  context: z.enum(OUTBOX_CONTEXTS).optional(),
});

/** Kafka errors (no broker, a send that failed) are the service being unavailable, not a bug. */
async function kafkaCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error && error.name.startsWith('KafkaJS')) {
      throw unavailable('kafka unavailable', error);
    }
    throw error;
  }
}

/** A producer connected on first use (and again after a failed connect). */
function lazyProducer(deps: ApiDependencies): () => Promise<Producer> {
  let connecting: Promise<Producer> | undefined;
  return () => {
    connecting ??= (async () => {
      const kafka = new Kafka({
        clientId: 'trackops-api-relay',
        brokers: deps.config.KAFKA_BROKERS.split(','),
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3000,
        retry: { retries: 2 },
      });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };
}

/**
 * The outbox seen from the fallback relay (`/api/events`, the seed's contract): rows not yet on
 * Kafka, oldest first (`published_at IS NULL`: neither the relay published them nor the delivery
 * marker consumer saw CDC deliver them, e.g. while Connect is down), publishing one or all of them
 * now in exactly the format of Debezium's Outbox Event Router, and counts. Consumers dedupe by
 * event id, so publishing an event that CDC delivers too is harmless.
 */
export function createEventsRouter(deps: ApiDependencies, producer?: Producer): Router {
  const router = Router();
  const dbs = { orders: deps.ordersDb, inventory: deps.inventoryDb };
  const getProducer = producer ? () => Promise.resolve(producer) : lazyProducer(deps);
  const reader = new OutboxRelay(dbs);
  const publisher = async () => new OutboxRelay(dbs, await getProducer(), deps.logger);

  router.get('/unprocessed', async (req, res) => {
    const query = parseOrThrow(unprocessedQuerySchema, req.query, 'query');
    assertPageDepth(query);
    const { content, total } = await reader.listUnpublished(query.page, query.size, query.context);
    res.json(toPage(content, total, query));
  });

  router.get('/stats', async (_req, res) => {
    const contexts = await reader.stats();
    res.json({
      relayEnabled: deps.config.OUTBOX_RELAY_ENABLED,
      total: contexts.reduce((sum, c) => sum + c.total, 0),
      published: contexts.reduce((sum, c) => sum + c.published, 0),
      unpublished: contexts.reduce((sum, c) => sum + c.unpublished, 0),
      contexts,
    });
  });

  router.post('/process-all', async (req, res) => {
    const options = parseOrThrow(processAllSchema, req.body ?? {}, 'request');
    const result = await kafkaCall(async () =>
      (await publisher()).publishAll({
        batchSize: options.batchSize,
        forceRetry: options.forceRetry,
        ...(options.since ? { since: new Date(options.since) } : {}),
      }),
    );
    res.json(result);
  });

  router.post('/:eventId/process', async (req, res) => {
    const eventId = parseOrThrow(eventIdSchema, req.params.eventId, 'eventId');
    const published = await kafkaCall(async () => (await publisher()).publishOne(eventId));
    if (!published) throw notFound(`outbox event ${eventId} not found`);
    res.json(published);
  });

  return router;
}
