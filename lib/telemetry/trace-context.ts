import { context, propagation, trace, type Context } from '@opentelemetry/api';

const W3C_TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

export function isTraceparent(value: string | undefined): value is string {
  return value !== undefined && W3C_TRACEPARENT.test(value);
}

/**
 * The W3C traceparent of the active span, for what outlives this process (an outbox row, a Kafka
 * header); undefined when nothing is being traced (no SDK, or no span).
 */
export function activeTraceparent(): string | undefined {
  if (!trace.getActiveSpan()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return isTraceparent(carrier.traceparent) ? carrier.traceparent : undefined;
}

/** The context a traceparent (e.g. a Kafka header Debezium carried through) names, as a parent. */
export function contextFromTraceparent(
  traceparent: string | undefined,
  base: Context = context.active(),
): Context {
  if (!isTraceparent(traceparent)) return base;
  return propagation.extract(base, { traceparent });
}
