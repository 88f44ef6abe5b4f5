/**
 * Live tracking in a real browser: headless Debian chromium (`/usr/bin/chromium`, installed by
 * `bin/trackops test`) driven by playwright-core, against an app instance of this suite on an
 * ephemeral port (the stack's Postgres, Redis, Kafka and Temporal; its own worker on its own task
 * queue, with a slow payment provider so the page is open before the order is confirmed).
 *
 * The tracking page is loaded with the order's tracking token, then follows the order to CONFIRMED
 * and, after an operator ships it through the API, to SHIPPED without a reload; the operator view
 * lists it, with links to its saga in the Temporal Web UI and to its traces in the stack's Zipkin,
 * where the trace search finds the spans this suite's worker exported for the order. Screenshots go
 * to docs/screenshots/ (shown in the README).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createApp } from '../../api/app';
import { mintLocalToken } from '../../api/auth/tokens';
import { OrderEventBus } from '../../api/tracking/order-event-bus';
import { CHROMIUM_PATH } from '../../deploy/stack/chromium';
import { appEnvironment } from '../../deploy/stack/components/app-process';
import { createStackContext } from '../../deploy/stack/context';
import type { AppConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { searchTraces, zipkinBaseUrl, type ZipkinSpan } from '../../lib/telemetry/zipkin-traces';
import { orderWorkflowId } from '../../workflows/contract';
import { createTestItem, testRunId } from '../support/db';
import {
  closeStackClients,
  createStackClients,
  terminateSagas,
  testAddress,
  waitFor,
} from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

const RUN = testRunId('browser');
const QUEUE = `orders-browser-${RUN}`;
const PRODUCT = `${RUN}-MUG`;
const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const config: AppConfig = { ...stackConfig, TEMPORAL_TASK_QUEUE: QUEUE, LOG_LEVEL: 'silent' };
/** The stack's app environment: its Zipkin port, for this suite's worker and the trace query. */
const stackEnv = appEnvironment(createStackContext(process.env, true));
const ZIPKIN = zipkinBaseUrl({ ZIPKIN_PORT: stackEnv.ZIPKIN_PORT });

const stack = createStackClients(5);
const logger = createLogger('browser-test', 'silent');
const orderEvents = new OrderEventBus(config.KAFKA_BROKERS.split(','), logger);
const orderIds: string[] = [];
let worker: WorkerProcess | undefined;
let server: Server | undefined;
let browser: Browser | undefined;
let baseUrl = '';
let operatorToken = '';

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

beforeAll(async () => {
  worker = await startWorkerProcess({
    taskQueue: QUEUE,
    label: 'browser-worker',
    // Its spans go to the stack's Zipkin (the API of this suite runs in jest, without the SDK), in
    // short export batches so the order's trace is there within the test.
    env: { PAYMENT_LATENCY_MS: '2500', ZIPKIN_PORT: stackEnv.ZIPKIN_PORT!, OTEL_BSP_SCHEDULE_DELAY: '500' },
  });
  await createTestItem(stack.inventoryDb, PRODUCT, 4, '9.50');
  // Below its minimum, so the operator view lists it as low stock.
  await stack.inventoryDb.inventoryItem.update({
    where: { productId: PRODUCT },
    data: { minStockLevel: 10 },
  });
  const app = createApp({ config, logger, ...stack, orderEvents });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  operatorToken = await mintLocalToken(config, { role: 'operator', expiresIn: '1h' });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await orderEvents.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await terminateSagas(stack.temporal, orderIds);
  if (worker) await stopWorkerProcess(worker, 5_000);
  await closeStackClients(stack, RUN);
}, 60_000);

/** The part of the browser's globals the init script uses (the test compiles without the DOM lib). */
interface BrowserStorage {
  sessionStorage: { setItem(key: string, value: string): void };
}

interface CreatedOrder {
  id: string;
  status: string;
  createdAt: string;
  trackingToken: string;
}

const HOUR_MS = 3_600_000;

it('follows an order live from placement to SHIPPED on the tracking page, and the ops view lists it', async () => {
  const created = await api<CreatedOrder>('POST', '/api/orders', {
    customerId: `${RUN}-customer`,
    items: [{ productId: PRODUCT, quantity: 2 }],
    address: testAddress(),
  });
  expect(created.status).toBe(201);
  const order = created.body;
  orderIds.push(order.id);
  expect(order.trackingToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

  const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/track/${order.id}?token=${order.trackingToken}`);
  // Placed before the page's stream could say anything more: the rest must arrive live.
  await page.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
  const statusOf = () => page.locator('#status').getAttribute('data-status');
  expect(['PENDING', 'CONFIRMED']).toContain(await statusOf());

  await page.locator('#status[data-status="CONFIRMED"]').waitFor({ timeout: 30_000 });
  for (const step of ['placed', 'reserved', 'paid', 'confirmed']) {
    await expect(page.locator(`[data-step="${step}"]`).getAttribute('class')).resolves.toContain('done');
  }
  await expect(page.locator('[data-step="shipped"]').getAttribute('class')).resolves.not.toContain('done');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'tracking-confirmed.png'), fullPage: true });

  const shipped = await api<{ status: string }>('PUT', `/api/orders/${order.id}/status`, {
    newStatus: 'SHIPPED',
  });
  expect(shipped.status).toBe(200);
  await page.locator('#status[data-status="SHIPPED"]').waitFor({ timeout: 30_000 });
  await expect(page.locator('[data-step="shipped"]').getAttribute('class')).resolves.toContain('done');
  await expect(
    page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce),
  ).resolves.toBe(true);
  await expect(page.locator('#live').textContent()).resolves.toBe('live');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'tracking-shipped.png'), fullPage: true });

  const ops = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  await ops.addInitScript(
    (token) =>
      (globalThis as unknown as BrowserStorage).sessionStorage.setItem('trackops.operatorToken', token),
    operatorToken,
  );
  const opsPage = await ops.newPage();
  await opsPage.goto(`${baseUrl}/ops`);
  const row = opsPage.locator(`tr[data-order-id="${order.id}"]`);
  await row.waitFor({ timeout: 15_000 });
  await expect(row.locator('td.status').textContent()).resolves.toBe('SHIPPED');
  await expect(row.getByRole('link', { name: 'saga', exact: true }).getAttribute('href')).resolves.toBe(
    `${config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/${orderWorkflowId(order.id)}`,
  );
  // Zipkin Lens' search for the order's spans, over a fixed range around its placement (Lens runs a
  // search from its address only with a lookback it knows and an endTs).
  const placedAt = Date.parse(order.createdAt);
  const traceSearch = new URLSearchParams({
    annotationQuery: `temporalWorkflowId=${orderWorkflowId(order.id)}`,
    lookback: 'range',
    startTs: String(placedAt - HOUR_MS),
    endTs: String(placedAt + 7 * 24 * HOUR_MS),
    limit: '10',
  });
  const traceUrl = `${config.TRACE_UI_URL}/?${traceSearch.toString()}`;
  await expect(row.getByRole('link', { name: 'trace', exact: true }).getAttribute('href')).resolves.toBe(
    traceUrl,
  );
  await expect(opsPage.locator('#low-stock').textContent()).resolves.toContain(PRODUCT);
  await opsPage.screenshot({ path: path.join(SCREENSHOTS, 'ops-view.png'), fullPage: true });

  // The same search on Zipkin's API (as Lens asks it: the range as endTs and lookback) finds the
  // order's traces: the saga's activities, which this suite's worker exported.
  const apiQuery = new URLSearchParams({
    annotationQuery: traceSearch.get('annotationQuery')!,
    endTs: traceSearch.get('endTs')!,
    lookback: String(Number(traceSearch.get('endTs')) - Number(traceSearch.get('startTs'))),
    limit: traceSearch.get('limit')!,
  });
  const traces = await waitFor(
    "the order's traces in Zipkin",
    async () => {
      const found = await searchTraces(Object.fromEntries(apiQuery), ZIPKIN);
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  const spans = traces.flat();
  expect(spans.some((span) => span.tags?.temporalWorkflowId === orderWorkflowId(order.id))).toBe(true);

  // Lens opened on the link runs that very search by itself.
  const lens = await ops.newPage();
  const lensSearch = lens.waitForResponse((response) => response.url().includes('/api/v2/traces?'), {
    timeout: 30_000,
  });
  await lens.goto(traceUrl);
  const lensResponse = await lensSearch;
  expect(Object.fromEntries(new URL(lensResponse.url()).searchParams)).toEqual(Object.fromEntries(apiQuery));
  expect(((await lensResponse.json()) as ZipkinSpan[][]).length).toBeGreaterThan(0);
  await context.close();
  await ops.close();
}, 150_000);

it('the ops view, signed in through its form, keeps itself up to date', async () => {
  const customerId = `${RUN}-ops-customer`;
  const created = await api<CreatedOrder>('POST', '/api/orders', {
    customerId,
    items: [{ productId: PRODUCT, quantity: 1 }],
    address: testAddress(),
  });
  expect(created.status).toBe(201);
  const orderId = created.body.id;
  orderIds.push(orderId);

  const ops = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  const opsPage = await ops.newPage();
  await opsPage.goto(`${baseUrl}/ops`);
  await opsPage.locator('#token').fill(operatorToken);
  await opsPage
    .locator('#login')
    .evaluate((form) => (form as unknown as { requestSubmit(): void }).requestSubmit());
  // Only this customer's orders: on a shared stack the 50 most recent may be anyone's.
  await opsPage.locator('#customer-filter').fill(customerId);
  await opsPage
    .locator('#filters')
    .evaluate((form) => (form as unknown as { requestSubmit(): void }).requestSubmit());
  const row = opsPage.locator(`tr[data-order-id="${orderId}"]`);
  await row.locator('td.status', { hasText: 'CONFIRMED' }).waitFor({ timeout: 30_000 });

  const shipped = await api<{ status: string }>('PUT', `/api/orders/${orderId}/status`, {
    newStatus: 'SHIPPED',
  });
  expect(shipped.status).toBe(200);
  // No reload: the view's own refresh shows the change.
  await row.locator('td.status', { hasText: 'SHIPPED' }).waitFor({ timeout: 30_000 });
  await ops.close();
}, 90_000);
