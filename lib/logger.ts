import pino from 'pino';
import { logCorrelationFields } from './telemetry/log-context';

/** JSON logs; every line carries the active trace and span ids and the request id, so logs and traces join up. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info') {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: logCorrelationFields,
  });
}

export type Logger = ReturnType<typeof createLogger>;
