import type { KafkaMessage } from 'kafkajs';
import type { EventType } from '../../domain/events';
import type { EventPayloads } from '../../events/payloads';
import { EventPayloadError, parseEventPayload } from '../../events/registry';
import { headerText } from '../../messaging/kafka-headers';
import { OUTBOX_HEADERS } from '../../messaging/outbox/outbox-wire';
import { PermanentError } from './retry';

export interface OutboxEvent {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  schemaVersion: number;
  occurredAt: string;
  traceparent?: string;
  /** As parsed from JSON, not yet checked: outboxPayload validates and types it. */
  payload: unknown;
}

/** Parses an outbox event; one without an id or type can never be applied: a permanent error. */
export function parseOutboxEvent(message: KafkaMessage): OutboxEvent {
  const id = headerText(message.headers, OUTBOX_HEADERS.id);
  const type = headerText(message.headers, OUTBOX_HEADERS.eventType);
  if (!id || !type) throw new PermanentError('outbox event without id or eventType header');
  if (!message.value) throw new PermanentError(`outbox event ${id} has no payload`);
  let payload: unknown;
  try {
    payload = JSON.parse(message.value.toString());
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

/** A payload its committed schema refuses: no retry can change it, so it goes straight to the DLQ. */
export class SchemaViolationError extends PermanentError {
  constructor(
    eventId: string,
    readonly violation: EventPayloadError,
  ) {
    super(`outbox event ${eventId}: ${violation.message}`);
    this.name = 'SchemaViolationError';
  }
}

/**
 * The payload of an event of `type`, validated against the committed schema of the event's
 * schemaVersion and typed as events/payloads.ts defines it; a SchemaViolationError when it does
 * not match (the error names each offending field).
 */
export function outboxPayload<T extends EventType>(event: OutboxEvent, type: T): EventPayloads[T] {
  try {
    return parseEventPayload(type, event.schemaVersion, event.payload);
  } catch (error) {
    if (error instanceof EventPayloadError) throw new SchemaViolationError(event.id, error);
    throw error;
  }
}
