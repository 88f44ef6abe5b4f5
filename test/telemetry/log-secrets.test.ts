/**
 * The logs of an end-to-end run carry no secret: an order is placed with a payment token, by a
 * customer with a bearer token, confirmed and shipped through the running stack (API, worker,
 * consumers), and a request with a forged token is refused; then every line the app processes wrote
 * meanwhile is searched for the payment token, the bearer tokens, the signing key and the database
 * and Redis passwords. The lines must mention the order (so the search covered the run).
 */
import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from '../../deploy/stack/paths';
import { tokenFor } from '../support/auth';
import { testRunId } from '../support/db';
import {
  createProduct,
  http,
  sleep,
  testAddress,
  waitForOrderStatus,
  type OrderBody,
} from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';

jest.setTimeout(90_000);

const RUN = testRunId('logsecrets');
const APP_LOGS = ['api.log', 'worker.log', 'consumers.log'].map((name) => path.join(stackPaths().logs, name));

/** What each log holds now, so only what this run adds is read. */
const sizesNow = () =>
  new Map(APP_LOGS.map((file) => [file, fs.existsSync(file) ? fs.statSync(file).size : 0]));

function linesSince(sizes: Map<string, number>): string[] {
  return APP_LOGS.flatMap((file) => {
    if (!fs.existsSync(file)) return [];
    const from = sizes.get(file) ?? 0;
    const fd = fs.openSync(file, 'r');
    try {
      const length = fs.fstatSync(fd).size - from;
      const buffer = Buffer.alloc(Math.max(length, 0));
      fs.readSync(fd, buffer, 0, buffer.length, from);
      return buffer.toString('utf8').split('\n').filter(Boolean);
    } finally {
      fs.closeSync(fd);
    }
  });
}

const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

it('writes no payment token, bearer token, signing key or password to the logs', async () => {
  const sizes = sizesNow();
  const productId = `${RUN}-item`;
  await createProduct(productId, 5);
  const customerId = `${RUN}-cust`;
  const customerToken = tokenFor('customer', { customerId });
  const paymentToken = `tok_${RUN.replace(/[^A-Za-z0-9]/g, '_')}_secret`;

  const placed = await http<OrderBody>(
    'POST',
    '/api/orders',
    { customerId, items: [{ productId, quantity: 1 }], address: testAddress(), paymentMethod: paymentToken },
    { authorization: `Bearer ${customerToken}`, 'Idempotency-Key': `${RUN}-key` },
  );
  expect(placed.status).toBe(201);
  const orderId = placed.body.id;
  await waitForOrderStatus(orderId, ['CONFIRMED'], 60_000);
  expect((await http('PUT', `/api/orders/${orderId}/status`, { newStatus: 'SHIPPED' })).status).toBe(200);
  await waitForOrderStatus(orderId, ['SHIPPED'], 60_000);
  const forged = tokenFor('operator', { secret: 'a-forged-signing-key-that-is-long-enough' });
  expect(
    (await http('GET', `/api/orders/${orderId}`, undefined, { authorization: `Bearer ${forged}` })).status,
  ).toBe(401);
  await sleep(2000); // the consumers' lines for the shipment

  const lines = linesSince(sizes);
  expect(lines.some((line) => line.includes(orderId))).toBe(true);
  const secrets: Record<string, string> = {
    'payment token': paymentToken,
    'customer bearer token': customerToken,
    'forged bearer token': forged,
    'JWT signing key': stackConfig.AUTH_JWT_SECRET,
    'tracking-token key': stackConfig.TRACKING_TOKEN_SECRET,
    'orders database password': `:${passwordOf(stackConfig.ORDERS_DATABASE_URL)}@`,
    'inventory database password': `:${passwordOf(stackConfig.INVENTORY_DATABASE_URL)}@`,
  };
  const redisPassword = passwordOf(stackConfig.REDIS_URL);
  if (redisPassword) secrets['Redis password'] = `:${redisPassword}@`;
  const leaks = Object.entries(secrets).flatMap(([what, secret]) =>
    lines.filter((line) => line.includes(secret)).map((line) => `${what}: ${line.slice(0, 300)}`),
  );
  expect(leaks).toEqual([]);
});
