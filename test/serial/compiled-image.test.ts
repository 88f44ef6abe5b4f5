/**
 * The production image's runtime, without Docker: the app compiled by `npm run build`
 * (deploy/build/build-dist.ts) next to a production-only install (`npm ci --omit=dev`, as the
 * Dockerfile's runtime stage does it), in a folder of its own. The compiled worker, API and
 * consumers run there with plain `node` (no tsx, no dev dependency at hand), against the stack: an
 * order placed on the compiled API is confirmed by the compiled worker on a task queue of this
 * test's own, the tracking page's assets are served from the compiled tree, the OTel preload puts
 * trace ids in the logs, and each process stops cleanly on SIGTERM.
 *
 * In test/serial: the production install writes ~700 MB and, with the compile, takes a core for
 * half a minute, which would slow the parallel suites' timing-sensitive waits.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { buildDist, COMPILED_ENTRIES, COMPILED_PRELOAD } from '../../deploy/build/build-dist';
import { createTemporalClient } from '../../lib/temporal-client';
import { orderWorkflowId } from '../../workflows/contract';
import { authHeader } from '../support/auth';
import { readLog, signalGroup, startNodeProcess, type NodeProcess } from '../support/child-process';
import { createProduct, terminateSagas, testAddress, waitFor } from '../support/orders-e2e';
import { stackConfig, uniqueSuffix } from '../support/stack-env';

jest.setTimeout(420_000);

const repoRoot = path.resolve(__dirname, '..', '..');
const RUN = `compiled-${uniqueSuffix()}`;
const taskQueue = `orders-${RUN}`;
const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trackops-compiled-'));
const DEV_ONLY_PACKAGES = ['jest', 'ts-jest', 'eslint', 'prettier', '@temporalio/testing', 'playwright-core'];

let temporal: Client;
const running: NodeProcess[] = [];
const orderIds: string[] = [];

/** A compiled process of appDir, started as the image's CMD starts it. */
function startCompiled(
  name: keyof typeof COMPILED_ENTRIES,
  metricsPortVariable: string,
  env: Record<string, string>,
): Promise<NodeProcess> {
  return startNodeProcess({
    entry: COMPILED_ENTRIES[name],
    label: `compiled-${name}`,
    metricsPortVariable,
    nodeArgs: ['--require', `./${COMPILED_PRELOAD}`, COMPILED_ENTRIES[name]],
    cwd: appDir,
    // Not NODE_ENV=production: that refuses the local stack's public development keys and
    // passwords (lib/production-checks.ts, tested on its own).
    env: { LOG_LEVEL: 'info', ...env },
    readyTimeoutMs: 120_000,
  }).then((proc) => {
    running.push(proc);
    return proc;
  });
}

async function stopCompiled(proc: NodeProcess): Promise<{ code: number | null; signal: string | null }> {
  signalGroup(proc, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), 20_000);
  try {
    return await proc.exited;
  } finally {
    clearTimeout(timer);
  }
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

beforeAll(() => {
  temporal = createTemporalClient(stackConfig.TEMPORAL_ADDRESS, stackConfig.TEMPORAL_NAMESPACE);
  buildDist(path.join(appDir, 'dist'));
  for (const file of ['package.json', 'package-lock.json']) {
    fs.copyFileSync(path.join(repoRoot, file), path.join(appDir, file));
  }
  // The runtime stage's install; --prefer-offline reuses the packages the full install fetched.
  execFileSync(
    'npm',
    ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: appDir, stdio: 'pipe', timeout: 300_000 },
  );
  // tsx stays a dependency for bin/trackops, which runs the source; without it here, any process
  // that still loads TypeScript (the preload's fallback included) fails to start.
  fs.rmSync(path.join(appDir, 'node_modules', 'tsx'), { recursive: true });
});

afterAll(async () => {
  try {
    await Promise.allSettled(running.map(stopCompiled));
    await terminateSagas(temporal, orderIds);
  } finally {
    for (const proc of running) signalGroup(proc, 'SIGKILL');
    await temporal.connection.close();
    fs.rmSync(appDir, { recursive: true, force: true });
  }
}, 60_000);

test('the build holds JavaScript only, and the production install no dev dependency', () => {
  const compiled = filesUnder(path.join(appDir, 'dist'));
  expect(compiled).toEqual(expect.arrayContaining(Object.values(COMPILED_ENTRIES).map((e) => e.slice(5))));
  expect(compiled.filter((file) => /\.(ts|mts|cts)$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
  const installed = DEV_ONLY_PACKAGES.filter((name) =>
    fs.existsSync(path.join(appDir, 'node_modules', name, 'package.json')),
  );
  expect(installed).toEqual([]);
});

test('the compiled worker and API carry an order to CONFIRMED on their own task queue', async () => {
  const worker = await startCompiled('worker', 'WORKER_METRICS_PORT', {
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_POOL_SIZE: '4',
  });
  const api = await startCompiled('api', 'API_PORT', { TEMPORAL_TASK_QUEUE: taskQueue });
  const apiUrl = (route: string) => `http://127.0.0.1:${api.metricsPort}${route}`;

  const productId = `${RUN}-mug`;
  await createProduct(productId, 5);
  const placed = await fetch(apiUrl('/api/orders'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeader('operator') },
    body: JSON.stringify({
      customerId: `${RUN}-customer`,
      items: [{ productId, quantity: 2 }],
      address: testAddress(),
    }),
  });
  const order = (await placed.json()) as { id: string; status: string };
  expect(placed.status).toBe(201);
  orderIds.push(order.id);

  const confirmed = await waitFor(
    `order ${order.id} to be confirmed by the compiled worker`,
    async () => {
      const response = await fetch(apiUrl(`/api/orders/${order.id}`), { headers: authHeader('operator') });
      const body = (await response.json()) as { status: string };
      return body.status === 'CONFIRMED' ? body : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  expect(confirmed.status).toBe('CONFIRMED');
  const saga = await temporal.workflow.getHandle(orderWorkflowId(order.id)).describe();
  expect(saga.taskQueue).toBe(taskQueue);

  const asset = await fetch(apiUrl('/assets/track.js'));
  expect(asset.status).toBe(200);
  expect(asset.headers.get('content-type')).toMatch(/javascript/);

  const orderLines = readLog(api)
    .split('\n')
    .filter((line) => line.includes(order.id));
  expect(orderLines.length).toBeGreaterThan(0);
  expect(orderLines.some((line) => /"trace_id":"[0-9a-f]{32}"/.test(line))).toBe(true);

  expect(await stopCompiled(api)).toEqual({ code: 0, signal: null });
  expect(await stopCompiled(worker)).toEqual({ code: 0, signal: null });
});

test('the compiled consumers join their groups and leave on SIGTERM', async () => {
  const consumers = await startCompiled('consumers', 'CONSUMERS_METRICS_PORT', {
    KAFKA_BROKERS: stackConfig.KAFKA_BROKERS,
  });
  const metrics = await (await fetch(`http://127.0.0.1:${consumers.metricsPort}/metrics`)).text();
  expect(metrics).toMatch(/^trackops_/m);
  expect(await stopCompiled(consumers)).toEqual({ code: 0, signal: null });
});
