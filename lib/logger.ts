import { trace } from '@opentelemetry/api';
import pino from 'pino';

/** JSON logs; every line carries the active trace id so logs and traces join up. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info') {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const span = trace.getActiveSpan()?.spanContext();
      return span ? { traceId: span.traceId, spanId: span.spanId } : {};
    },
  });
}

export type Logger = ReturnType<typeof createLogger>;
