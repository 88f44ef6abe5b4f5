import express from 'express';
import { createCacheRouter } from './routes/cache';
import { cacheFromConfig } from '../cache/versioned-cache';
import { authenticate, requireRole } from './auth/middleware';
import { tokenVerifier } from './auth/tokens';
import type { ApiDependencies } from './dependencies';
import { errorHandler, notFoundHandler } from './errors';
import { httpHardening } from './http-hardening';
import { createDocsRouter } from './openapi/docs-router';
import { rateLimiter } from './rate-limit';
import { requestContext, resumeRequestScope } from './request-context';
import { createCarrierRouter } from './routes/carrier';
import { createDlqRouter } from './routes/dlq';
import { createEventsRouter } from './routes/events';
import { createHealthRouter } from './routes/health';
import { createInventoryRouter } from './routes/inventory';
import { createOrdersRouter } from './routes/orders';
import { registerCacheMetrics } from '../lib/metrics/cache-metrics';
import { httpMetrics } from '../lib/metrics/http-metrics';
import { createProcessRegistry } from '../lib/metrics/registry';
import { createTrackingRouter } from './tracking/tracking-router';

/** Largest accepted JSON body; an order with the maximum number of items fits well inside. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The express app without `listen`, so tests drive it with supertest. */
export function createApp(deps: ApiDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(...httpHardening(deps.config));
  const registry = createProcessRegistry('api');
  app.use(httpMetrics(registry));
  app.use(requestContext(deps.logger));
  app.use(
    express.json({ limit: MAX_BODY_BYTES, strict: true, type: ['application/json', 'application/*+json'] }),
  );
  app.use(resumeRequestScope);
  // One read cache for the app (its single-flight map and counters are per instance).
  const cache = cacheFromConfig(deps.redis, deps.config, deps.logger);
  registerCacheMetrics(registry, cache);
  app.use(createHealthRouter(deps, registry));
  app.use(createDocsRouter());
  // Every request's token is read here; each /api route says which roles it admits (api/auth/).
  app.use(authenticate(tokenVerifier(deps.config)));
  const staff = requireRole('operator');
  app.use('/api', rateLimiter(deps.config, deps.redis, deps.logger));
  app.use(createTrackingRouter(deps));
  app.use('/api/orders', createOrdersRouter(deps, cache));
  app.use('/api/inventory', createInventoryRouter(deps, cache));
  app.use('/api/cache', staff, createCacheRouter(cache));
  app.use('/api/carrier', createCarrierRouter(deps));
  app.use('/api/dlq', staff, createDlqRouter(deps));
  app.use('/api/events', staff, createEventsRouter(deps));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
