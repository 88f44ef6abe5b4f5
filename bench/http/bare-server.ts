/**
 * The floor for GET /api/orders/{id}: a bare express app that answers with the same bodies the API
 * gave, kept in memory (read from the JSON file named by BARE_BODIES_FILE), with none of the API's
 * middleware, logging or cache. Started by bench/http/http-load.ts on BARE_PORT.
 */
import fs from 'node:fs';
import express from 'express';

const bodiesFile = process.env.BARE_BODIES_FILE;
const port = Number(process.env.BARE_PORT);
if (!bodiesFile || !Number.isInteger(port)) throw new Error('BARE_BODIES_FILE and BARE_PORT are required');
const bodies = new Map(
  Object.entries(JSON.parse(fs.readFileSync(bodiesFile, 'utf8')) as Record<string, unknown>),
);

const app = express();
// As the API has them: no x-powered-by, no etag.
app.disable('x-powered-by');
app.set('etag', false);
app.get('/health', (_req, res) => {
  res.json({ status: 'UP' });
});
app.get('/api/orders/:id', (req, res) => {
  const body = bodies.get(req.params.id);
  if (body === undefined) res.status(404).json({ status: 404 });
  else res.json(body);
});
const server = app.listen(port, '127.0.0.1');
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
