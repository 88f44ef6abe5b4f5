import path from 'node:path';
import express, { Router } from 'express';
import type { ApiDependencies } from '../dependencies';
import { createOpsPageRouter } from '../pages/ops-page';
import { createTrackPageRouter } from '../pages/track-page';
import { createOpsRouter } from '../routes/ops';
import { OrderEventBus } from './order-event-bus';
import { createOrderStreamRouter, DEFAULT_STREAM_OPTIONS, type StreamOptions } from './stream-route';

/**
 * The people-facing part of the API: the page assets, each order's event stream, its tracking page
 * and the operator view with its data. Mounted after authentication, so a bearer token is honoured where a tracking token is not given.
 */
export function createTrackingRouter(
  deps: ApiDependencies,
  options: StreamOptions = { ...DEFAULT_STREAM_OPTIONS, ...deps.streamOptions },
): Router {
  const router = Router();
  const bus = deps.orderEvents ?? new OrderEventBus(deps.config.KAFKA_BROKERS.split(','), deps.logger);
  router.use('/assets', express.static(path.join(__dirname, '..', 'pages', 'static'), { maxAge: '5m' }));
  // Mounted without a path prefix: a router at /api/orders would be entered by every order
  // request, and the express instrumentation would name their spans `/api/orders/api/orders/:id`.
  router.use(createOrderStreamRouter(deps, bus, options));
  router.use('/track', createTrackPageRouter(deps));
  router.use('/ops', createOpsPageRouter());
  router.use('/api/ops', createOpsRouter(deps));
  return router;
}
