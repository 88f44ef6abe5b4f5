import type { IHeaders, Message } from 'kafkajs';

/**
 * An outbox event as it travels on `trackops.<aggregatetype>`, whether Debezium's Outbox Event
 * Router or the fallback relay published it: key = aggregate id (plain string), value = the
 * payload JSON, and these headers (plain strings).
 */
export const OUTBOX_HEADERS = {
  id: 'id',
  eventType: 'eventType',
  aggregateType: 'aggregateType',
  aggregateId: 'aggregateId',
  traceparent: 'traceparent',
  schemaVersion: 'schemaVersion',
  occurredAt: 'occurredAt',
} as const;

export type OutboxContext = 'orders' | 'inventory';
export const OUTBOX_CONTEXTS: readonly OutboxContext[] = ['orders', 'inventory'];

/** An outbox row's id (a uuid column): what may be looked up as `id = $1::uuid`. */
export const OUTBOX_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An outbox row as the relay reads it: the columns as text, exactly as Postgres renders them. */
export interface OutboxRow {
  context: OutboxContext;
  id: string;
  aggregateType: string;
  aggregateId: string;
  type: string;
  /** `payload::text` (jsonb's canonical key order). */
  payloadText: string;
  traceparent: string | null;
  schemaVersion: number;
  /** `occurred_at` in UTC with microseconds, e.g. `2026-11-25T17:16:34.500000Z`. */
  occurredAtText: string;
  publishedAt: Date | null;
}

/** The SELECT list that reads a row of either outbox table into an OutboxRow (with `context` added). */
export const OUTBOX_ROW_COLUMNS = `
  id::text AS "id",
  aggregatetype AS "aggregateType",
  aggregateid AS "aggregateId",
  type AS "type",
  payload::text AS "payloadText",
  traceparent AS "traceparent",
  schema_version AS "schemaVersion",
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "occurredAtText",
  published_at AS "publishedAt"`;

/** Debezium's Outbox Event Router sends aggregatetype X to `trackops.X` (route.topic.replacement). */
export const outboxTopic = (aggregateType: string) => `trackops.${aggregateType}`;

/**
 * The Kafka message the Outbox Event Router makes of a row (debezium/trackops-*-outbox.json), so a
 * consumer cannot tell which path delivered it: key = aggregate id as a plain string; value = the
 * payload as compact JSON in jsonb's key order (the router expands the JSON and the worker's
 * JsonConverter writes it without spaces); headers (SimpleHeaderConverter: plain strings) id,
 * eventType, aggregateType, aggregateId, traceparent (only when set), schemaVersion and occurredAt
 * (Debezium's ZonedTimestamp of a timestamptz(6): UTC, six fraction digits, `Z`). The same key
 * goes through the same murmur2 partitioner (kafkajs' default is Java-compatible), so an event
 * lands on the partition CDC would have chosen. The router's `__debezium.context.*` headers
 * describe the connector task and are not part of the contract (consumers/runtime/outbox-event.ts).
 */
export function outboxMessage(row: OutboxRow): { topic: string; message: Message } {
  const headers: IHeaders = {
    [OUTBOX_HEADERS.id]: row.id,
    [OUTBOX_HEADERS.eventType]: row.type,
    [OUTBOX_HEADERS.aggregateType]: row.aggregateType,
    [OUTBOX_HEADERS.aggregateId]: row.aggregateId,
    ...(row.traceparent ? { [OUTBOX_HEADERS.traceparent]: row.traceparent } : {}),
    [OUTBOX_HEADERS.schemaVersion]: String(row.schemaVersion),
    [OUTBOX_HEADERS.occurredAt]: row.occurredAtText,
  };
  return {
    topic: outboxTopic(row.aggregateType),
    message: {
      key: row.aggregateId,
      value: JSON.stringify(JSON.parse(row.payloadText)),
      headers,
    },
  };
}
