import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ORDER_STATUSES } from '../../workflows/contract';
import { orderIdSchema, orderListFilterSchema } from '../order-schemas';
import { dlqReplayRequestSchema } from '../routes/ops';
import type { TrackingEvent } from '../tracking/tracking-event';
import { bearer, errors, json, jsonBody, trackingOrBearer } from './common';
import { dlqReplaySchema, opsOverviewSchema } from './operations-responses';

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' as const } } },
});
const tokenQuery = z.object({
  token: z.string().optional().describe("The order's tracking token (or send a bearer token instead)."),
});
const untracked = { 404: 'No such order, or neither credential may see it.' };

const snapshotDataSchema = z.strictObject({
  orderId: z.uuid(),
  status: z.enum(ORDER_STATUSES),
  cancellationReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
const orderEventDataSchema = z.strictObject({
  id: z.uuid(),
  type: z.string(),
  occurredAt: z.iso.datetime(),
  status: z.string().optional(),
  reason: z.string().optional(),
  carrier: z.string().optional(),
  trackingNumber: z.string().optional(),
}) satisfies z.ZodType<TrackingEvent>;

/** An SSE `data` field: text holding the JSON of `schema`. */
function jsonText(schema: z.ZodType) {
  const { $schema: _dialect, ...contentSchema } = z.toJSONSchema(schema);
  return z.string().meta({ contentMediaType: 'application/json', contentSchema });
}

/**
 * One event of the stream as an EventSource hands it over (comments and the `retry` block are not
 * events). Before OpenAPI 3.2's `itemSchema`, a `text/event-stream` schema describes each event,
 * which is how tools such as schemathesis read it.
 */
const streamEventSchema = z.union([
  z
    .strictObject({ event: z.literal('snapshot'), data: jsonText(snapshotDataSchema) })
    .describe("First: the order's current status."),
  z
    .strictObject({ event: z.literal('order-event'), id: z.uuid(), data: jsonText(orderEventDataSchema) })
    .describe('A status change or saga step; its SSE id is the outbox event id.'),
]);

/** The people-facing routes: the order stream and tracking page, the operator view and its data. */
export function registerTrackingPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/api/orders/{id}/stream',
    operationId: 'streamOrder',
    tags: ['tracking'],
    summary: "Server-Sent Events of one order's status changes and saga steps",
    description:
      'First a `snapshot` event, then each `order-event` with its outbox id as the SSE id; a reconnect ' +
      'with `Last-Event-ID` resumes after that event. Comment heartbeats keep the stream open.',
    security: trackingOrBearer('customer', 'operator'),
    request: {
      params: z.object({ id: orderIdSchema }),
      query: tokenQuery,
      headers: z.object({ 'Last-Event-ID': z.string().optional() }),
    },
    responses: {
      200: {
        description: 'The event stream; the schema is that of each event.',
        content: { 'text/event-stream': { schema: streamEventSchema } },
      },
      ...errors([400, 404, 503], untracked),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/track/{orderId}',
    operationId: 'trackingPage',
    tags: ['pages'],
    summary: "The order's live tracking page",
    security: trackingOrBearer('customer', 'operator'),
    request: { params: z.object({ orderId: orderIdSchema }), query: tokenQuery },
    responses: { 200: html('The page.'), ...errors([400, 404, 503], untracked) },
  });

  registry.registerPath({
    method: 'get',
    path: '/ops',
    operationId: 'operatorPage',
    tags: ['pages'],
    summary: 'The operator view (its data comes from /api/ops/overview with an operator token)',
    security: [],
    responses: { 200: html('The page.') },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/ops/overview',
    operationId: 'getOpsOverview',
    tags: ['operations'],
    summary: 'Recent orders, counts by status, compensations, dead letters and low stock',
    security: bearer('operator'),
    request: { query: orderListFilterSchema },
    responses: {
      200: json('The overview (`deadLetters` is null while Kafka is unreachable).', opsOverviewSchema),
      ...errors([400, 401, 403, 503]),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/ops/dlq/replay',
    operationId: 'replayDeadLetters',
    tags: ['operations'],
    summary: "Re-publish one dead-letter topic's pending messages to their original topic",
    security: bearer('operator'),
    request: { body: jsonBody(dlqReplayRequestSchema) },
    responses: {
      200: json('What was replayed.', dlqReplaySchema),
      ...errors([400, 401, 403, 404, 413, 503], { 404: 'No such dead-letter topic.' }),
    },
  });
}
