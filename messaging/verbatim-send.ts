import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * Runs a Kafka send whose messages are copies of messages that already exist (the outbox relay
 * publishing what Debezium would, a dead letter, a DLQ replay): with tracing suppressed the kafkajs
 * instrumentation neither makes a producer span nor overwrites the `traceparent` the copy carries,
 * so a consumer sees the same headers whichever way the message arrived.
 */
export function sendVerbatim<T>(send: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(context.active()), send);
}
