import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * Runs a Kafka send whose messages are copies of messages that already exist (the outbox relay
 * publishing what Debezium would, a dead letter, a DLQ replay) with tracing suppressed: a copy is
 * not a new send of the trace it carries. Its `traceparent` is kept by marking each message with
 * asVerbatimCopy (lib/telemetry/verbatim-messages.ts), whatever the context.
 */
export function sendVerbatim<T>(send: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(context.active()), send);
}
