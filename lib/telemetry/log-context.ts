import { AsyncLocalStorage } from 'node:async_hooks';
import { isSpanContextValid, trace } from '@opentelemetry/api';

/** What a log line written while handling one request or one message says about it. */
export interface LogScope {
  /** The request's x-request-id, or the id of the message (event) being applied. */
  requestId: string;
}

const scopes = new AsyncLocalStorage<LogScope>();

/** Runs `fn` (and everything it awaits or schedules) with `scope` on every log line it writes. */
export function runInLogScope<T>(scope: LogScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

export function currentLogScope(): LogScope | undefined {
  return scopes.getStore();
}

/** The fields pino adds to every line: the active span's ids (when traced) and the request id. */
export function logCorrelationFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  const scope = scopes.getStore();
  if (scope) fields.request_id = scope.requestId;
  return fields;
}
