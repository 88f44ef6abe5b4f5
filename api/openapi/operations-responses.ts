import { z } from 'zod';
import type { CacheStats } from '../../cache/stats';
import type { DlqTopicCount } from '../../messaging/dlq/dlq';
import type {
  ContextStats,
  OutboxEventView,
  PublishAllResult,
  PublishedEvent,
} from '../../messaging/outbox/outbox-relay';
import { ORDER_STATUSES } from '../../workflows/contract';

/* The answers of the operators' endpoints and of the health checks, checked against their types. */

const count = z.int().min(0);
const timestamp = z.iso.datetime();
const context = z.enum(['orders', 'inventory']);
const offset = z.string().regex(/^-?\d+$/);

const localCountersSchema = z.strictObject({
  fallbacks: count,
  redisErrors: count,
  sharedLoads: count,
  lockWaits: count,
  lockWaitHits: count,
  lockWaitTimeouts: count,
});

export const cacheStatsSchema = z.strictObject({
  enabled: z.boolean(),
  hits: count,
  misses: count,
  fills: count,
  warms: count,
  invalidations: count,
  staleWritesRejected: count,
  lookups: count,
  hitRatio: z.number().min(0).max(1),
  redis: z.enum(['up', 'down']),
  process: localCountersSchema,
}) satisfies z.ZodType<CacheStats & { enabled: boolean }>;

export const dlqTopicSchema = z.strictObject({
  topic: z.string(),
  originalTopic: z.string(),
  pending: count,
  retained: count,
  partitions: z.array(
    z.strictObject({
      partition: count,
      low: offset,
      high: offset,
      committed: offset.nullable(),
      start: offset,
      pending: count,
      retained: count,
    }),
  ),
}) satisfies z.ZodType<DlqTopicCount>;

export const dlqSummarySchema = z.strictObject({
  group: z.string(),
  totalPending: count,
  topics: z.array(dlqTopicSchema),
});

export const outboxEventSchema = z.strictObject({
  context,
  eventId: z.uuid(),
  aggregateType: z.string(),
  aggregateId: z.string(),
  eventType: z.string(),
  schemaVersion: z.int(),
  occurredAt: timestamp,
  publishedAt: timestamp.nullable(),
  traceparent: z.string().nullable(),
  payload: z.unknown(),
}) satisfies z.ZodType<OutboxEventView>;

export const outboxStatsSchema = z.strictObject({
  relayEnabled: z.boolean(),
  total: count,
  published: count,
  unpublished: count,
  contexts: z.array(
    z.strictObject({
      context,
      total: count,
      published: count,
      unpublished: count,
      oldestUnpublishedAt: timestamp.nullable(),
      lastPublishedAt: timestamp.nullable(),
      unpublishedByType: z.record(z.string(), count),
    }) satisfies z.ZodType<ContextStats>,
  ),
});

export const publishAllResultSchema = z.strictObject({
  published: count,
  republished: count,
  batches: count,
  byContext: z.strictObject({ orders: count, inventory: count }),
}) satisfies z.ZodType<PublishAllResult>;

export const publishedEventSchema = z.strictObject({
  context,
  eventId: z.uuid(),
  eventType: z.string(),
  topic: z.string(),
  partition: count,
  offset,
  previouslyPublishedAt: timestamp.nullable(),
}) satisfies z.ZodType<PublishedEvent>;

export const opsOverviewSchema = z.strictObject({
  countsByStatus: z.partialRecord(z.enum(ORDER_STATUSES), count),
  compensations: z.record(z.string(), count),
  deadLetters: z.strictObject({ totalPending: count, topics: z.array(dlqTopicSchema) }).nullable(),
  lowStock: z.array(
    z.strictObject({ productId: z.string(), productName: z.string(), available: z.int(), minimum: z.int() }),
  ),
  orders: z.array(
    z.strictObject({
      id: z.uuid(),
      customerId: z.string(),
      status: z.enum(ORDER_STATUSES),
      totalAmount: z.string(),
      currency: z.string(),
      cancellationReason: z.string().nullable(),
      createdAt: timestamp,
      sagaUrl: z.string().describe("The order's saga in the Temporal Web UI (`TEMPORAL_UI_URL`)."),
      traceUrl: z
        .string()
        .describe(
          "The order's traces in the Zipkin UI (`TRACE_UI_URL`): a search for `temporalWorkflowId=order-{id}` " +
            'from an hour before the order was placed to 7 days after, at most 10 traces.',
        ),
    }),
  ),
});

export const dlqReplaySchema = z.strictObject({
  topic: z.string(),
  replayed: count,
  complete: z.boolean(),
  after: dlqTopicSchema,
});

const dependencySchema = z.strictObject({
  status: z.enum(['UP', 'DOWN']),
  latencyMs: z.number().min(0),
  optional: z.boolean(),
  detail: z.unknown().optional(),
});

export const readinessSchema = z.strictObject({
  status: z.enum(['UP', 'DEGRADED', 'DOWN']),
  checks: z.record(z.string(), dependencySchema),
});

export const actuatorHealthSchema = z.strictObject({
  status: z.enum(['UP', 'DEGRADED', 'DOWN']),
  components: z.record(
    z.string(),
    z.strictObject({ status: z.enum(['UP', 'DOWN']), details: z.record(z.string(), z.unknown()) }),
  ),
});

export const livenessSchema = z.strictObject({ status: z.literal('UP') });
