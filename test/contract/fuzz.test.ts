/**
 * Property-based fuzzing of the API against its OpenAPI document (schemathesis, pinned in
 * deploy/schemathesis/requirements.txt, installed by `bin/trackops test`). schemathesis reads
 * /api/openapi.json from a real API process and sends generated requests (valid ones, and ones the
 * document says must be refused) to every operation: its coverage, fuzzing and stateful phases,
 * where it also feeds ids from answers (orders, items, holds, carrier events) into later requests.
 * Every answer must be no 5xx, a status code the operation documents, with the documented content
 * type and a body matching the documented schema. A failure prints schemathesis's report.
 *
 * With an admin token the fuzzer may ship, cancel and delete whatever it finds, so it gets a world
 * of its own: scratch Postgres databases (migrated, with the demo catalogue), a Redis database
 * number of its own (rate limits, the simulated payment ledger), a throwaway Temporal dev
 * server and a saga worker on it. Only Kafka is the stack's, and nothing is published there: the
 * outbox relay and the dead-letter replay are left out.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Redis from 'ioredis';
import { runCommand } from '../../deploy/stack/commands';
import { seedDemoInventory } from '../../deploy/stack/demo-inventory';
import { applyMigrations } from '../../deploy/stack/migrations';
import { ensureSchemathesis, SCHEMATHESIS_VERSION, schemathesisTool } from '../../deploy/stack/schemathesis';
import { OPENAPI_PATH } from '../../api/openapi/document';
import { inventoryContext, ordersContext } from '../../prisma/contexts';
import { createScratchDatabases, type ScratchDatabases } from '../prisma/scratch-databases';
import { tokenFor } from '../support/auth';
import { signalGroup, startNodeProcess, type NodeProcess } from '../support/child-process';
import { testAddress, waitFor } from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';
import { createLocalEnv } from '../support/temporal-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

jest.setTimeout(300_000);

/** The Redis database (of the stack's 16) the fuzzed API and its worker use; emptied before and after. */
const FUZZ_REDIS_DB = 13;
// Fixed, so a run finds what the last one found; FUZZ_SEED and FUZZ_MAX_EXAMPLES make a longer hunt.
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 8);
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
];
/** Operations that republish what is already on Kafka or in the outbox: never against the stack's topics. */
const LEFT_OUT = [
  'POST /api/events/process-all',
  'POST /api/events/{eventId}/process',
  'POST /api/ops/dlq/replay',
];

const redisUrl = (() => {
  const url = new URL(stackConfig.REDIS_URL);
  url.pathname = `/${FUZZ_REDIS_DB}`;
  return url.toString();
})();

let cli: string;
let scratch: ScratchDatabases | undefined;
let temporal: TestWorkflowEnvironment | undefined;
let worker: WorkerProcess | undefined;
let api: NodeProcess | undefined;
let workDir: string;

async function flushFuzzRedis(): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** One JSON request to the fuzzed API as an admin; throws unless it answers `expected`. */
async function call(method: string, url: string, expected: number, body?: unknown): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${api!.metricsPort}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${tokenFor('admin')}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (response.status !== expected)
    throw new Error(`${method} ${url} answered ${response.status}, not ${expected}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Orders in the states the operations act on (confirmed, shipped, delivered, cancelled), a carrier
 * report and a manual hold: the fuzzer finds their ids in list answers and sends them on, so the
 * operations on one order reach more than their 404.
 */
async function seedWorld(): Promise<void> {
  const orderIds: string[] = [];
  for (const [index, productId] of ['MUG-001', 'BOOK-001', 'PHONE-001', 'HEADPHONES-001'].entries()) {
    const order = (await call('POST', '/api/orders', 201, {
      customerId: `fuzz-customer-${index}`,
      items: [{ productId, quantity: 1 }],
      address: testAddress(),
    })) as { id: string };
    orderIds.push(order.id);
  }
  for (const id of orderIds) {
    await waitFor(`order ${id} to be confirmed`, async () => {
      const order = (await call('GET', `/api/orders/${id}`, 200)) as { status: string };
      return order.status === 'CONFIRMED' ? order : undefined;
    });
  }
  const [, shipped, delivered, cancelled] = orderIds as [string, string, string, string];
  await call('PUT', `/api/orders/${shipped}/status`, 200, { newStatus: 'SHIPPED' });
  await call('PUT', `/api/orders/${delivered}/status`, 200, { newStatus: 'SHIPPED' });
  await call('PUT', `/api/orders/${delivered}/status`, 200, { newStatus: 'DELIVERED' });
  await call('DELETE', `/api/orders/${cancelled}`, 202);
  await call('POST', '/api/carrier/events', 201, {
    orderId: shipped,
    status: 'SHIPPED',
    carrier: 'fuzz-carrier',
    trackingNumber: 'FZ-1',
    eventId: 'fuzz-event-1',
  });
  await call('POST', '/api/inventory/reservations', 201, {
    productId: 'LAPTOP-001',
    quantity: 1,
    holdKey: 'fuzz-hold',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
}

beforeAll(async () => {
  // Installed by `bin/trackops test`; a run of this file alone installs it the same way (once).
  cli = await ensureSchemathesis((message) => process.stderr.write(`${message}\n`));
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trackops-fuzz-'));
  await flushFuzzRedis();
  [scratch, temporal] = await Promise.all([createScratchDatabases('fuzz'), createLocalEnv()]);
  await applyMigrations(scratch.env);
  await seedDemoInventory(scratch.url(inventoryContext));
  const env = {
    ORDERS_DATABASE_URL: scratch.url(ordersContext),
    INVENTORY_DATABASE_URL: scratch.url(inventoryContext),
    REDIS_URL: redisUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    // The cache is kept true by the CDC consumer, and Debezium captures only the stack's databases:
    // here it would answer what it first read until its TTL.
    CACHE_ENABLED: 'false',
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'warn',
  };
  [worker, api] = await Promise.all([
    startWorkerProcess({ taskQueue: 'orders', label: 'fuzz-worker', env }),
    startNodeProcess({
      entry: 'api/main.ts',
      label: 'fuzz-api',
      metricsPortVariable: 'API_PORT',
      // Admins are not rate limited anyway; a customer-token case must not be either.
      env: { ...env, RATE_LIMIT_MAX: '1000000' },
      readyTimeoutMs: 120_000,
    }),
  ]);
  await seedWorld();
});

afterAll(async () => {
  if (api) {
    signalGroup(api, 'SIGTERM');
    const killer = setTimeout(() => signalGroup(api!, 'SIGKILL'), 20_000);
    await api.exited;
    clearTimeout(killer);
  }
  if (worker) await stopWorkerProcess(worker);
  await temporal?.teardown();
  await scratch?.drop();
  await flushFuzzRedis();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

test(`schemathesis ${SCHEMATHESIS_VERSION} is what the requirements pin`, async () => {
  const pins = fs.readFileSync(schemathesisTool().requirements, 'utf8');
  expect(pins).toContain(`\nschemathesis==${SCHEMATHESIS_VERSION}\n`);
  const version = await runCommand(cli, ['--version']);
  expect(version.stdout.trim()).toBe(`schemathesis, version ${SCHEMATHESIS_VERSION}`);
});

const keptReports = process.env.FUZZ_REPORT_DIR;

test('every operation answers as the OpenAPI document says, whatever it is sent', async () => {
  const started = Date.now();
  const result = await runCommand(
    cli,
    [
      '--config-file',
      path.join(__dirname, 'schemathesis.toml'),
      '--no-color',
      'run',
      `http://127.0.0.1:${api!.metricsPort}${OPENAPI_PATH}`,
      '--header',
      `Authorization: Bearer ${tokenFor('admin')}`,
      '--checks',
      CHECKS.join(','),
      '--seed',
      String(SEED),
      '--max-examples',
      String(MAX_EXAMPLES),
      '--workers',
      '1',
      ...LEFT_OUT.flatMap((name) => ['--exclude-name', name]),
      // FUZZ_REPORT_DIR keeps every request and answer (ndjson, HAR) and the output for a closer look.
      ...(keptReports
        ? ['--report', 'junit,ndjson,har', '--report-dir', keptReports]
        : ['--report', 'junit', '--report-dir', path.join(workDir, 'report')]),
    ],
    { cwd: workDir, env: { ...process.env, NO_COLOR: '1' } },
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const summary = result.stdout.slice(result.stdout.lastIndexOf('=== SUMMARY ==='));
  process.stderr.write(`schemathesis took ${seconds}s (exit ${result.code})\n${summary}\n`);
  if (keptReports) fs.writeFileSync(path.join(keptReports, 'output.txt'), result.stdout);
  if (result.code !== 0) {
    throw new Error(
      `schemathesis found failures (exit ${result.code}, ${seconds}s):\n${result.stdout}\n${result.stderr}`,
    );
  }
  // A run that tested nothing would also exit 0.
  expect(result.stdout).toMatch(/Tested: 3\d\b/);
});
