import type { IHeaders, KafkaMessage } from 'kafkajs';
import { PermanentError } from './retry';

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

export interface OutboxEvent<Payload = Record<string, unknown>> {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  schemaVersion: number;
  occurredAt: string;
  traceparent?: string;
  payload: Payload;
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Parses an outbox event; one without an id or type can never be applied: a permanent error. */
export function parseOutboxEvent<Payload = Record<string, unknown>>(
  message: KafkaMessage,
): OutboxEvent<Payload> {
  const id = header(message.headers, OUTBOX_HEADERS.id);
  const type = header(message.headers, OUTBOX_HEADERS.eventType);
  if (!id || !type) throw new PermanentError('outbox event without id or eventType header');
  if (!message.value) throw new PermanentError(`outbox event ${id} has no payload`);
  let payload: Payload;
  try {
    payload = JSON.parse(message.value.toString()) as Payload;
  } catch {
    throw new PermanentError(`outbox event ${id} payload is not JSON`);
  }
  const traceparent = header(message.headers, OUTBOX_HEADERS.traceparent);
  return {
    id,
    type,
    aggregateType: header(message.headers, OUTBOX_HEADERS.aggregateType) ?? '',
    aggregateId: header(message.headers, OUTBOX_HEADERS.aggregateId) ?? message.key?.toString() ?? '',
    schemaVersion: Number(header(message.headers, OUTBOX_HEADERS.schemaVersion) ?? '1'),
    occurredAt: header(message.headers, OUTBOX_HEADERS.occurredAt) ?? '',
    ...(traceparent ? { traceparent } : {}),
    payload,
  };
}
