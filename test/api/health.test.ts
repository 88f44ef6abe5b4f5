/**
 * Health on the API: /health/live is the process alone; /health/ready names every dependency with
 * its status and latency; Kafka Connect down is DEGRADED (200: writes still work), a database down
 * is DOWN (503) and the body does not say why (the log does); /actuator/health is the seed's shape.
 */
import request from 'supertest';
import { createApp } from '../../api/app';
import { createOrdersDb } from '../../domain/orders/db';
import { createLogger } from '../../lib/logger';
import { createStackClients, closeStackClients } from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';

const stack = createStackClients(2);
const { ordersDb, inventoryDb, temporal, redis } = stack;
const logger = createLogger('test', 'silent');
const CLOSED_PORT_URL = 'http://127.0.0.1:1';
const unreachableDbUrl = 'postgresql://trackops_orders:not-the-password@127.0.0.1:1/trackops_orders';
const unreachableOrdersDb = createOrdersDb(unreachableDbUrl, 1);

// Connected before the checks: a cold connection on a busy machine can outlast a probe's 2 s.
beforeAll(async () => {
  await Promise.all([
    ordersDb.$queryRaw`SELECT 1`,
    inventoryDb.$queryRaw`SELECT 1`,
    redis.ping(),
    temporal.workflowService.getSystemInfo({}),
  ]);
}, 30_000);

afterAll(async () => {
  await closeStackClients(stack, 'health');
  // Never connected: disconnecting it would wait on the pool's connect attempts.
  void unreachableOrdersDb.$disconnect();
}, 30_000);

const appWith = (overrides: { KAFKA_CONNECT_URL?: string; ordersDb?: typeof ordersDb } = {}) =>
  createApp({
    config: {
      ...stackConfig,
      LOG_LEVEL: 'silent',
      ...(overrides.KAFKA_CONNECT_URL ? { KAFKA_CONNECT_URL: overrides.KAFKA_CONNECT_URL } : {}),
    },
    logger,
    ordersDb: overrides.ordersDb ?? ordersDb,
    inventoryDb,
    temporal,
    redis,
  });

const DEPENDENCIES = ['ordersDb', 'inventoryDb', 'redis', 'temporal', 'debezium'];

it('/health/live and /health answer UP from the process alone', async () => {
  const app = appWith({ ordersDb: unreachableOrdersDb, KAFKA_CONNECT_URL: CLOSED_PORT_URL });
  for (const path of ['/health/live', '/health']) {
    expect((await request(app).get(path).expect(200)).body).toEqual({ status: 'UP' });
  }
});

it('/health/ready reports every dependency with its status and latency', async () => {
  const body = (await request(appWith()).get('/health/ready').expect(200)).body as {
    status: string;
    checks: Record<string, { status: string; latencyMs: number; optional: boolean }>;
  };
  expect(body.status).toBe('UP');
  expect(Object.keys(body.checks).sort()).toEqual([...DEPENDENCIES].sort());
  for (const check of Object.values(body.checks)) {
    expect(check.status).toBe('UP');
    expect(typeof check.latencyMs).toBe('number');
    expect(check.latencyMs).toBeGreaterThanOrEqual(0);
  }
  expect(body.checks.debezium?.optional).toBe(true);
  expect(body.checks.ordersDb?.optional).toBe(false);
});

it('Kafka Connect down makes the API DEGRADED, still ready', async () => {
  const body = (
    await request(appWith({ KAFKA_CONNECT_URL: CLOSED_PORT_URL }))
      .get('/health/ready')
      .expect(200)
  ).body as { status: string; checks: Record<string, { status: string }> };
  expect(body.status).toBe('DEGRADED');
  expect(body.checks.debezium?.status).toBe('DOWN');
  expect(body.checks.ordersDb?.status).toBe('UP');
});

it('a required dependency down is a 503 that does not describe the infrastructure', async () => {
  const response = await request(appWith({ ordersDb: unreachableOrdersDb }))
    .get('/health/ready')
    .expect(503);
  const body = response.body as { status: string; checks: Record<string, { status: string }> };
  expect(body.status).toBe('DOWN');
  expect(body.checks.ordersDb?.status).toBe('DOWN');
  expect(body.checks.inventoryDb?.status).toBe('UP');
  expect(response.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|not-the-password|postgresql:|Can't reach/i);
});

it('/actuator/health keeps the seed’s Spring shape over the same checks', async () => {
  const degraded = (
    await request(appWith({ KAFKA_CONNECT_URL: CLOSED_PORT_URL }))
      .get('/actuator/health')
      .expect(200)
  ).body as {
    status: string;
    components: Record<string, { status: string; details: { latencyMs: number } }>;
  };
  expect(degraded.status).toBe('DEGRADED');
  expect(Object.keys(degraded.components).sort()).toEqual([...DEPENDENCIES].sort());
  expect(degraded.components.debezium?.status).toBe('DOWN');
  expect(degraded.components.redis).toMatchObject({
    status: 'UP',
    details: { latencyMs: expect.any(Number) as unknown },
  });
  await request(appWith({ ordersDb: unreachableOrdersDb }))
    .get('/actuator/health')
    .expect(503);
});

/** The stack's worker and consumers processes, on their health ports. */
const PROCESSES = [
  {
    name: 'worker',
    port: stackConfig.WORKER_METRICS_PORT,
    dependencies: ['inventoryDb', 'ordersDb', 'redis', 'temporal'],
  },
  {
    name: 'consumers',
    port: stackConfig.CONSUMERS_METRICS_PORT,
    dependencies: ['inventoryDb', 'kafka', 'ordersDb', 'redis', 'temporal'],
  },
];

it.each(PROCESSES)(
  "the stack's $name process answers live, ready with each dependency, and the actuator shape",
  async ({ port, dependencies }) => {
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'UP' } });
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    const checks = ready.body.checks as Record<string, { status: string; latencyMs: number }>;
    expect(Object.keys(checks).sort()).toEqual(dependencies);
    for (const check of Object.values(checks)) {
      expect(check.status).toBe('UP');
      expect(typeof check.latencyMs).toBe('number');
    }
    const actuator = await get('/actuator/health');
    expect(actuator.body.status).toBe('UP');
    expect(Object.keys(actuator.body.components as object).sort()).toEqual(dependencies);
  },
);
