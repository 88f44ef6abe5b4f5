import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** Ends the span when the work settles; a failure marks it ERROR with the exception recorded. */
export async function endWith<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * A span of our own, around work that means something to the business (a saga step, a
 * compensation, a cache refresh), active while the work runs so what it calls (pg, Redis, Kafka)
 * nests inside it. Without the SDK the span is a no-op.
 */
export function inBusinessSpan<T>(
  tracerName: string,
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return trace
    .getTracer(tracerName)
    .startActiveSpan(name, { attributes }, (span) => endWith(span, () => work(span)));
}
