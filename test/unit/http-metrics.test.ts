/**
 * The route label of the request-duration histogram: the route template with its router's mount,
 * for answers that fail as for those that succeed (an error thrown to the app's error handler
 * leaves the router first, which resets express's `req.baseUrl`).
 */
import express, { Router, type ErrorRequestHandler } from 'express';
import { Registry } from 'prom-client';
import request from 'supertest';
import { httpMetrics } from '../../lib/metrics/http-metrics';

function appWithMetrics() {
  const registry = new Registry();
  const app = express();
  app.use(httpMetrics(registry));
  const orders = Router();
  orders.get('/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  orders.delete('/:id', async () => {
    throw new Error('temporal unavailable');
  });
  orders.post('/', async () => {
    throw new Error('temporal unavailable');
  });
  orders.get('/:id/items', (_req, res) => {
    res.status(404).json({});
  });
  app.use('/api/orders', orders);
  app.get(['/health', '/health/live'], (_req, res) => {
    res.send('ok');
  });
  const failed: ErrorRequestHandler = (_error, _req, res, _next) => {
    res.status(503).json({ error: 'unavailable' });
  };
  app.use(failed);
  return { app, registry };
}

async function routesCounted(registry: Registry): Promise<string[]> {
  const metric = await registry.getSingleMetric('trackops_http_request_duration_seconds')!.get();
  return (metric.values as { metricName?: string; labels: Record<string, string | number> }[])
    .filter((value) => value.metricName === 'trackops_http_request_duration_seconds_count')
    .map((value) => `${value.labels.method} ${value.labels.route} ${value.labels.status}`)
    .sort();
}

test('labels successes and thrown errors alike with the full route template, never an id', async () => {
  const { app, registry } = appWithMetrics();
  await request(app).get('/api/orders/4f1c').expect(200);
  await request(app).delete('/api/orders/4f1c').expect(503);
  await request(app).post('/api/orders?x=1').send({}).expect(503);
  await request(app).get('/api/orders/4f1c/items').expect(404);
  await request(app).get('/health/live').expect(200);
  await request(app).get('/nowhere').expect(404);
  expect(await routesCounted(registry)).toEqual([
    'DELETE /api/orders/:id 503',
    'GET /api/orders/:id 200',
    'GET /api/orders/:id/items 404',
    'GET /health/live 200',
    'GET unmatched 404',
    'POST /api/orders 503',
  ]);
});
