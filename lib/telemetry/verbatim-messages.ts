import type { Span } from '@opentelemetry/api';
import type { MessageInfo } from '@opentelemetry/instrumentation-kafkajs';

const TRACEPARENT = 'traceparent';

/** Each copied message's own traceparent header (undefined when it carried none). */
const carriedTraceparents = new WeakMap<object, unknown>();

/**
 * Marks a Kafka message as a copy of one that already exists (the outbox relay publishing what
 * Debezium would, a dead letter, a DLQ replay): it keeps the `traceparent` it carries, so a
 * consumer sees the same headers whichever way the message arrived. Returns the message.
 */
export function asVerbatimCopy<T extends { headers?: object | null }>(message: T): T {
  const headers = (message.headers ?? {}) as Record<string, unknown>;
  carriedTraceparents.set(message, headers[TRACEPARENT]);
  return message;
}

/**
 * The kafkajs instrumentation's producer hook: it runs after the instrumentation injected the
 * sending span's context into the headers, and puts a copy's own traceparent back (or removes the
 * injected one from a copy that carried none).
 */
export function restoreCarriedTraceparent(_span: Span, { message }: MessageInfo): void {
  if (!carriedTraceparents.has(message)) return;
  const carried = carriedTraceparents.get(message);
  const headers = (message.headers ??= {});
  if (carried === undefined || carried === null) delete headers[TRACEPARENT];
  else headers[TRACEPARENT] = carried as string | Buffer;
}
