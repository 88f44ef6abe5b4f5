import http from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Liveness: the process is working (e.g. the worker is polling). */
  live: () => boolean;
}

/** /health and /metrics for processes that have no HTTP API of their own (worker, consumers). */
export function startHealthServer(options: HealthServerOptions): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      const live = options.live();
      res.writeHead(live ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: live ? 'UP' : 'DOWN' }));
      return;
    }
    if (req.url === '/metrics') {
      options.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(text);
        })
        .catch((error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve(server));
  });
}
