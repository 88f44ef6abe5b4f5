import { Router } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ApiDependencies } from '../dependencies';

interface Check {
  status: 'UP' | 'DOWN';
  detail?: unknown;
}

const TIMEOUT_MS = 2000;

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    const detail = await Promise.race([
      probe(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS}ms`)), TIMEOUT_MS),
      ),
    ]);
    return { status: 'UP', ...(detail === undefined ? {} : { detail }) };
  } catch (error) {
    return { status: 'DOWN', detail: error instanceof Error ? error.message : String(error) };
  }
}

interface ConnectorStatus {
  connector: { state: string };
  tasks: { id: number; state: string }[];
}

/** Liveness, readiness (every dependency, Debezium connectors included) and Prometheus metrics. */
export function createHealthRouter(deps: ApiDependencies): Router {
  const router = Router();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trackops_api_' });

  router.get('/health', (_req, res) => {
    res.json({ status: 'UP' });
  });

  router.get('/health/ready', async (_req, res) => {
    const checks: Record<string, Check> = Object.fromEntries(
      await Promise.all(
        Object.entries({
          ordersDb: () => deps.ordersDb.$queryRaw`SELECT 1`.then(() => undefined),
          inventoryDb: () => deps.inventoryDb.$queryRaw`SELECT 1`.then(() => undefined),
          redis: () => deps.redis.ping(),
          temporal: () =>
            deps.temporal.withDeadline(Date.now() + TIMEOUT_MS, () =>
              deps.temporal.workflowService
                .getSystemInfo({})
                .then((info) => ({ serverVersion: info.serverVersion })),
            ),
          debezium: async () => {
            const response = await fetch(`${deps.config.KAFKA_CONNECT_URL}/connectors?expand=status`, {
              signal: AbortSignal.timeout(TIMEOUT_MS),
            });
            const body = (await response.json()) as Record<string, { status: ConnectorStatus }>;
            const states = Object.fromEntries(
              Object.entries(body).map(([name, { status }]) => [
                name,
                { connector: status.connector.state, tasks: status.tasks.map((t) => t.state) },
              ]),
            );
            const failing = Object.entries(states).filter(
              ([, s]) => s.connector !== 'RUNNING' || s.tasks.some((t) => t !== 'RUNNING'),
            );
            if (Object.keys(states).length === 0) throw new Error('no connectors registered');
            if (failing.length > 0)
              throw new Error(`connectors not running: ${JSON.stringify(Object.fromEntries(failing))}`);
            return states;
          },
        }).map(async ([name, probe]) => [name, await check(probe)] as const),
      ),
    );
    const up = Object.values(checks).every((c) => c.status === 'UP');
    res.status(up ? 200 : 503).json({ status: up ? 'UP' : 'DOWN', checks });
  });

  router.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.send(await registry.metrics());
  });

  return router;
}
