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

/**
 * A header's value as a string (the first, if repeated). Debezium writes a NULL column (e.g. an
 * event without traceparent) as a header whose value is null, which kafkajs hands over as `null`
 * despite its IHeaders type: that reads as an absent header.
 */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name] as IHeaders[string] | null;
  if (value === undefined || value === null) return undefined;
  const first = (Array.isArray(value) ? value[0] : value) as Buffer | string | null | undefined;
  return first === undefined || first === null ? undefined : first.toString();
}

/** Parses an outbox event; one without an id or type can never be applied: a permanent error. */
export function parseOutboxEvent<Payload = Record<string, unknown>>(
  message: KafkaMessage,
): OutboxEvent<Payload> {
  const id = headerText(message.headers, OUTBOX_HEADERS.id);
  const type = headerText(message.headers, OUTBOX_HEADERS.eventType);
  if (!id || !type) throw new PermanentError('outbox event without id or eventType header');
  if (!message.value) throw new PermanentError(`outbox event ${id} has no payload`);
  let payload: Payload;
  try {
    payload = JSON.parse(message.value.toString()) as Payload;
  } catch {
    throw new PermanentError(`outbox event ${id} payload is not JSON`);
  }
  const traceparent = headerText(message.headers, OUTBOX_HEADERS.traceparent);
  return {
    id,
    type,
    aggregateType: headerText(message.headers, OUTBOX_HEADERS.aggregateType) ?? '',
    aggregateId: headerText(message.headers, OUTBOX_HEADERS.aggregateId) ?? message.key?.toString() ?? '',
    schemaVersion: Number(headerText(message.headers, OUTBOX_HEADERS.schemaVersion) ?? '1'),
    occurredAt: headerText(message.headers, OUTBOX_HEADERS.occurredAt) ?? '',
    ...(traceparent ? { traceparent } : {}),
    payload,
  };
}
