import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { carrierEventSchema, shipmentEventIdSchema } from '../carrier-schemas';
import { eventIdSchema, processAllSchema, unprocessedQuerySchema } from '../routes/events';
import { bearer, errors, json, jsonBody, pageOf } from './common';
import { shipmentEventSchema } from './order-responses';
import {
  cacheStatsSchema,
  dlqSummarySchema,
  outboxEventSchema,
  outboxStatsSchema,
  publishAllResultSchema,
  publishedEventSchema,
} from './operations-responses';

const staff = bearer('operator');
const shipmentEvent = shipmentEventSchema.meta({ id: 'ShipmentEvent' });

/** The carrier feed and the operators' endpoints: cache, dead letters, the outbox relay. */
export function registerOperationsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/api/carrier/events',
    operationId: 'reportShipment',
    tags: ['carrier'],
    summary: "A carrier's shipment or delivery report",
    description:
      "Deduplicated by the carrier's `eventId`; it reaches the order's saga through CDC as a signal.",
    security: bearer('carrier'),
    request: { body: jsonBody(carrierEventSchema) },
    responses: {
      200: json('The same report was received before: the stored report, nothing written.', shipmentEvent),
      201: {
        ...json('The report, stored.', shipmentEvent),
        headers: { Location: { description: 'The report', schema: { type: 'string' } } },
      },
      ...errors([400, 401, 403, 404, 409, 413, 503], {
        404: 'No such order.',
        409: 'The same eventId was reported with different content.',
      }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/carrier/events/{id}',
    operationId: 'getShipmentEvent',
    tags: ['carrier'],
    summary: 'One shipment report',
    security: bearer('carrier', 'operator'),
    request: { params: z.object({ id: shipmentEventIdSchema }) },
    responses: { 200: json('The report.', shipmentEvent), ...errors([400, 401, 403, 404, 503]) },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/cache/stats',
    operationId: 'getCacheStats',
    tags: ['operations'],
    summary: 'Read cache hits, misses, invalidations, warms and hit ratio',
    security: staff,
    responses: { 200: json('The counters.', cacheStatsSchema), ...errors([401, 403]) },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/dlq',
    operationId: 'getDeadLetters',
    tags: ['operations'],
    summary: 'Pending dead letters per topic',
    security: staff,
    responses: { 200: json('Per topic.', dlqSummarySchema), ...errors([401, 403, 503]) },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/events/unprocessed',
    operationId: 'listUnpublishedEvents',
    tags: ['operations'],
    summary: 'Outbox rows not yet on Kafka, oldest first',
    security: staff,
    request: { query: unprocessedQuerySchema },
    responses: {
      200: json('A page of outbox rows.', pageOf(outboxEventSchema)),
      ...errors([400, 401, 403, 503]),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/events/stats',
    operationId: 'getOutboxStats',
    tags: ['operations'],
    summary: 'Outbox counts per context',
    security: staff,
    responses: { 200: json('The counts.', outboxStatsSchema), ...errors([401, 403, 503]) },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/events/process-all',
    operationId: 'publishAllEvents',
    tags: ['operations'],
    summary: 'Publish every unpublished outbox row now (the fallback relay)',
    security: staff,
    request: { body: { ...jsonBody(processAllSchema), required: false } },
    responses: {
      200: json('What was published.', publishAllResultSchema),
      ...errors([400, 401, 403, 413, 503]),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/events/{eventId}/process',
    operationId: 'publishEvent',
    tags: ['operations'],
    summary: 'Publish one outbox row now',
    security: staff,
    request: { params: z.object({ eventId: eventIdSchema }) },
    responses: {
      200: json('Where it was published.', publishedEventSchema),
      ...errors([400, 401, 403, 404, 503]),
    },
  });
}
