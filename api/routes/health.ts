import { Router } from 'express';
import type { Registry } from 'prom-client';
import {
  actuatorShape,
  checkReadiness,
  httpStatusOf,
  PROBE_TIMEOUT_MS,
  type Probe,
} from '../../lib/health/readiness';
import { databaseProbe, redisProbe, temporalProbe } from '../../lib/health/probes';
import type { ApiDependencies } from '../dependencies';

interface ConnectorStatus {
  connector: { state: string };
  tasks: { id: number; state: string }[];
}

/** Debezium's connectors, each RUNNING with every task RUNNING; their states are the detail. */
async function connectorsRunning(connectUrl: string): Promise<unknown> {
  const response = await fetch(`${connectUrl}/connectors?expand=status`, {
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  });
  const body = (await response.json()) as Record<string, { status: ConnectorStatus }>;
  const states = Object.fromEntries(
    Object.entries(body).map(([name, { status }]) => [
      name,
      { connector: status.connector.state, tasks: status.tasks.map((t) => t.state) },
    ]),
  );
  if (Object.keys(states).length === 0) throw new Error('no connectors registered');
  const failing = Object.entries(states).filter(
    ([, s]) => s.connector !== 'RUNNING' || s.tasks.some((t) => t !== 'RUNNING'),
  );
  if (failing.length > 0)
    throw new Error(`connectors not running: ${JSON.stringify(Object.fromEntries(failing))}`);
  return states;
}

function apiProbes(deps: ApiDependencies): Record<string, Probe> {
  return {
    ordersDb: databaseProbe(deps.ordersDb),
    inventoryDb: databaseProbe(deps.inventoryDb),
    // Reads fall back to Postgres and nothing is written to Redis first: without it, degraded.
    redis: redisProbe(deps.redis, { optional: true }),
    temporal: temporalProbe(deps.temporal),
    // Without CDC, orders are still written (their outbox rows wait): degraded, not unready.
    debezium: { check: () => connectorsRunning(deps.config.KAFKA_CONNECT_URL), optional: true },
  };
}

/**
 * /health and /health/live: the process alone. /health/ready: every dependency with status and
 * latency. /actuator/health: the same in the seed's Spring shape. /metrics: Prometheus.
 */
export function createHealthRouter(deps: ApiDependencies, registry: Registry): Router {
  const router = Router();
  const probes = apiProbes(deps);

  router.get(['/health', '/health/live'], (_req, res) => {
    res.json({ status: 'UP' });
  });

  router.get('/health/ready', async (_req, res) => {
    const report = await checkReadiness(probes, deps.logger);
    res.status(httpStatusOf(report)).json(report);
  });

  router.get('/actuator/health', async (_req, res) => {
    const report = await checkReadiness(probes, deps.logger);
    res.status(httpStatusOf(report)).json(actuatorShape(report));
  });

  router.get(['/metrics', '/actuator/prometheus'], async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.send(await registry.metrics());
  });

  return router;
}
