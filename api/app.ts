import express from 'express';
import type { ApiDependencies } from './dependencies';
import { errorHandler, notFoundHandler } from './errors';
import { requestContext } from './request-context';
import { createHealthRouter } from './routes/health';
import { createInventoryRouter } from './routes/inventory';
import { createOrdersRouter } from './routes/orders';

/** Largest accepted JSON body; an order with the maximum number of items fits well inside. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The express app without `listen`, so tests drive it with supertest. */
export function createApp(deps: ApiDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(deps.logger));
  app.use(
    express.json({ limit: MAX_BODY_BYTES, strict: true, type: ['application/json', 'application/*+json'] }),
  );
  app.use(createHealthRouter(deps));
  app.use('/api/orders', createOrdersRouter(deps));
  app.use('/api/inventory', createInventoryRouter(deps));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
