import type { Request, RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './registry';

function routeTemplate(req: Request): string {
  const template = (req.route as { path?: unknown } | undefined)?.path;
  // A route answering several static paths (['/health', '/health/live']): the one asked for.
  if (Array.isArray(template)) return `${req.baseUrl}${req.path}`;
  if (typeof template !== 'string') return 'unmatched';
  return template === '/' && req.baseUrl ? req.baseUrl : `${req.baseUrl}${template}`;
}

/**
 * Request duration by method, route template (`/api/orders/:id`, never the id itself, so the
 * series stay few) and status. A request no route matched is labelled `unmatched`.
 */
export function httpMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'trackops_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  return (req, res, next) => {
    const stop = duration.startTimer();
    res.once('finish', () => {
      const route = routeTemplate(req);
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
