import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../lib/logger';

export interface FieldError {
  field: string;
  rejectedValue?: unknown;
  message: string;
}

/** An error with an HTTP status that is safe to show the client. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly validationErrors?: FieldError[],
    /** What went wrong upstream: logged, never sent to the client. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export const badRequest = (message: string, validationErrors?: FieldError[]) =>
  new ApiError(400, message, validationErrors);
export const unauthorized = (message: string) => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
export const unavailable = (message: string, cause?: unknown) => new ApiError(503, message, undefined, cause);

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function body(status: number, message: string, path: string, validationErrors?: FieldError[]) {
  return {
    status,
    error: REASONS[status] ?? 'Error',
    message,
    path,
    timestamp: new Date().toISOString(),
    ...(validationErrors && validationErrors.length > 0 ? { validationErrors } : {}),
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json(body(404, `no route for ${req.method} ${req.path}`, req.path));
};

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

/** Turns every error into the seed's error body; only unexpected errors are logged as errors. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (error instanceof ApiError) {
      if (error.cause !== undefined) logger.warn({ err: error.cause, path: req.path }, error.message);
      if (error.status === 503) res.setHeader('Retry-After', '1');
      if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      res.status(error.status).json(body(error.status, error.message, req.path, error.validationErrors));
      return;
    }
    if ((error as { code?: unknown }).code === 'P2028') {
      // No database connection could be had in time: the request wrote nothing and may be retried.
      res.setHeader('Retry-After', '1');
      res.status(503).json(body(503, 'the service is busy; retry shortly', req.path));
      return;
    }
    const parserError = error as BodyParserError;
    if (parserError.type === 'entity.parse.failed') {
      res
        .status(400)
        .json(
          body(400, 'malformed JSON body', req.path, [
            { field: 'body', message: parserError.message ?? 'invalid JSON' },
          ]),
        );
      return;
    }
    if (parserError.type === 'entity.too.large') {
      res.status(413).json(body(413, 'request body too large', req.path));
      return;
    }
    if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
      res
        .status(parserError.status)
        .json(body(parserError.status, parserError.message ?? 'bad request', req.path));
      return;
    }
    logger.error({ err: error, path: req.path, method: req.method }, 'unhandled error');
    res.status(500).json(body(500, 'internal error', req.path));
  };
}
