import http from 'node:http';
import type { Registry } from 'prom-client';
import { actuatorShape, checkReadiness, httpStatusOf, type Probe } from './health/readiness';
import { createLogger, type Logger } from './logger';

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Where failed readiness checks are logged; a logger of its own when not given. */
  logger?: Logger;
  /** Liveness: the process is working (e.g. the worker is polling). */
  live: () => boolean;
  /** What this process needs to serve, for /health/ready; none: ready while live. */
  ready?: Record<string, Probe>;
  /** More exposition text appended to /metrics (e.g. the Temporal SDK's own metrics). */
  extraMetrics?: () => Promise<string>;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** /health[/live|/ready], /actuator/health and /metrics for processes that have no HTTP API of their own. */
export function startHealthServer(options: HealthServerOptions): Promise<http.Server> {
  const logger = options.logger ?? createLogger('health');
  const probes = options.ready ?? {};
  const answer = async (url: string, res: http.ServerResponse): Promise<void> => {
    if (url === '/health' || url === '/health/live') {
      const live = options.live();
      return sendJson(res, live ? 200 : 503, { status: live ? 'UP' : 'DOWN' });
    }
    if (url === '/health/ready' || url === '/actuator/health') {
      const report = await checkReadiness(probes, logger);
      return sendJson(res, httpStatusOf(report), url === '/health/ready' ? report : actuatorShape(report));
    }
    if (url === '/metrics') {
      const own = await options.registry.metrics();
      const extra = options.extraMetrics ? await options.extraMetrics() : '';
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(extra ? `${own}\n${extra}` : own);
      return;
    }
    res.writeHead(404);
    res.end();
  };
  const server = http.createServer((req, res) => {
    answer((req.url ?? '').split('?')[0] ?? '', res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, 'health server failed to answer');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve(server));
  });
}
