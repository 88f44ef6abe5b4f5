import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../lib/logger';
import { currentLogScope, runInLogScope, type LogScope } from '../lib/telemetry/log-context';
import { activeTraceparent, isTraceparent } from '../lib/telemetry/trace-context';

/**
 * The trace context this request's outbox rows and saga carry: the request's own server span when
 * it is traced (a child of the caller's `traceparent`, or a new trace when the caller sent none),
 * else the caller's header when it is well formed.
 */
export function traceparentOf(req: Request): string | undefined {
  const header = req.header('traceparent');
  return activeTraceparent() ?? (isTraceparent(header) ? header : undefined);
}

/**
 * Body parsers resume the request from the socket's stream events, outside the request's async
 * context: placed after them, this puts the request's log scope back for the handlers.
 */
export const resumeRequestScope: RequestHandler = (_req, res, next) => {
  const scope = res.locals.logScope as LogScope | undefined;
  if (!scope || currentLogScope() === scope) return next();
  runInLogScope(scope, next);
};

/**
 * Reuses the caller's x-request-id (or makes one), echoes it, puts it on every log line written while
 * handling the request, and logs each request once it is answered with its status and duration.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.locals.requestId = requestId;
    const scope: LogScope = { requestId };
    res.locals.logScope = scope;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.originalUrl,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    });
    runInLogScope(scope, next);
  };
}
