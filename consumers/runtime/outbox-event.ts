import type { KafkaMessage } from 'kafkajs';
import { headerText } from '../../messaging/kafka-headers';
import { OUTBOX_HEADERS } from '../../messaging/outbox/outbox-wire';
import { PermanentError } from './retry';

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
