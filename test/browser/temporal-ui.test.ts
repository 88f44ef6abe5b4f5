/**
 * The README's "Inspecting a saga" walkthrough, done in the stack's real Temporal Web UI by headless
 * Debian chromium (playwright-core): an order placed through the stack's API is found in the
 * workflow list by its `OrderId` search attribute, its saga opened, its event history read (the
 * saga's activities in order) and its memo checked (customer, total, item count). Screenshots of
 * the list and the history go to docs/screenshots/ (shown in the README).
 */
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from '../../deploy/stack/chromium';
import { orderWorkflowId } from '../../workflows/contract';
import {
  createProduct,
  http,
  terminateSagas,
  testAddress,
  waitForOrderStatus,
  createStackClients,
  closeStackClients,
} from '../support/orders-e2e';
import { testRunId } from '../support/db';
import { stackConfig } from '../support/stack-env';

jest.setTimeout(180_000);

const RUN = testRunId('temporal-ui');
const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const UI = stackConfig.TEMPORAL_UI_URL;
const NAMESPACE = stackConfig.TEMPORAL_NAMESPACE;
const SAGA_STEPS = ['reserveInventory', 'authorizePayment', 'capturePayment', 'commitInventory'];

const stack = createStackClients(2);
const orderIds: string[] = [];
let browser: Browser | undefined;
let page: Page;
let orderId = '';

beforeAll(async () => {
  const productId = `${RUN}-LAMP`;
  await createProduct(productId, 10, '24.00');
  const placed = await http<{ id: string }>('POST', '/api/orders', {
    customerId: `${RUN}-customer`,
    items: [{ productId, quantity: 3 }],
    address: testAddress(),
  });
  expect(placed.status).toBe(201);
  orderId = placed.body.id;
  orderIds.push(orderId);
  await waitForOrderStatus(orderId, ['CONFIRMED'], 60_000);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await terminateSagas(stack.temporal, orderIds);
  await closeStackClients(stack, RUN);
}, 60_000);

it('finds the saga of an order by its OrderId search attribute', async () => {
  const query = encodeURIComponent(`OrderId="${orderId}"`);
  await page.goto(`${UI}/namespaces/${NAMESPACE}/workflows?query=${query}`);
  const row = page.getByRole('link', { name: orderWorkflowId(orderId), exact: true });
  await row.waitFor({ timeout: 30_000 });
  // The filter matches this order's saga only.
  await page.getByText('1 Workflow', { exact: true }).waitFor({ timeout: 10_000 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'temporal-saga-list.png') });
  await row.click();
  await page.waitForURL(new RegExp(`/workflows/${orderWorkflowId(orderId)}/[0-9a-f-]+/`), {
    timeout: 30_000,
  });
});

it("reads the saga's event history: its steps, in order", async () => {
  await page.getByRole('tab', { name: /Event History/ }).click();
  await page.waitForURL(/\/history/, { timeout: 30_000 });
  for (const step of SAGA_STEPS)
    await page.getByText(step, { exact: true }).first().waitFor({ timeout: 30_000 });
  const text = await page.locator('main').innerText();
  // The history lists the newest event first unless told otherwise: either way, one direction.
  const positions = SAGA_STEPS.map((step) => text.indexOf(step));
  expect(positions.every((p) => p >= 0)).toBe(true);
  const ascending = [...positions].sort((a, b) => a - b);
  expect([ascending, [...ascending].reverse()]).toContainEqual(positions);
  // The history table sits below the saga's input, in a scrolling pane: a taller window shows it.
  await page.setViewportSize({ width: 1440, height: 1800 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'temporal-saga-history.png') });
});

it("shows the order's summary in the saga's memo", async () => {
  await page.getByRole('tab', { name: 'Memo', exact: true }).click();
  await page.waitForURL(/\/memo/, { timeout: 30_000 });
  const memo = page.locator('main');
  await memo.getByText(`${RUN}-customer`).first().waitFor({ timeout: 30_000 });
  const text = await memo.innerText();
  expect(text).toContain('72.00 USD');
  expect(text).toMatch(/"?itemCount"?\s*:\s*3/);
});
