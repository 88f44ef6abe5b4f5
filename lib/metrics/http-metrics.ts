import type { Request, RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './registry';

/**
 * Where the matched route's router is mounted. `req.baseUrl` says so while the route runs, but it is
 * reset as the request leaves the router, so by the time an error answer (thrown to the app's error
 * handler) finishes it is empty: then the mount is the request path less as many trailing segments
 * as the route template has (mount paths are static, so no id leaks into the label).
 */
function mountOf(req: Request, template: string): string {
  if (req.baseUrl) return req.baseUrl;
  const segments = (url: string) => url.split('/').filter(Boolean);
  const requested = segments(req.originalUrl.split('?')[0] ?? '');
  const own = segments(template).length;
  return own > requested.length
    ? ''
    : `/${requested.slice(0, requested.length - own).join('/')}`.replace(/^\/$/, '');
}

function routeTemplate(req: Request): string {
  const template = (req.route as { path?: unknown } | undefined)?.path;
  // A route answering several static paths (['/health', '/health/live']): the one asked for.
  if (Array.isArray(template)) return req.originalUrl.split('?')[0] ?? 'unmatched';
  if (typeof template !== 'string') return 'unmatched';
  const mount = mountOf(req, template);
  return template === '/' && mount ? mount : `${mount}${template}`;
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
