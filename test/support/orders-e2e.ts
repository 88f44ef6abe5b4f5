/**
 * Helpers for order tests that drive the running stack (`bin/trackops stack up`): plain HTTP against
 * the API, polling until asynchronous state settles, the simulated payment provider's Redis ledger,
 * and cleanup of the sagas and rows a run created.
 */
import type { Client } from '@temporalio/client';
import Redis from 'ioredis';
import type { FieldError } from '../../api/errors';
import type { OrdersDb } from '../../domain/orders/db';
import { createTemporalClient } from '../../lib/temporal-client';
import { orderWorkflowId } from '../../workflows/contract';
import { createTestDbs, removeRunRows, type TestDbs } from './db';
import { authHeader, staffRoleFor } from './auth';
import { stackConfig } from './stack-env';

const API_BASE = `http://127.0.0.1:${stackConfig.API_PORT}`;

/** Key prefix of the simulated provider's ledger (see activities/payments/simulated-provider.ts). */
const LEDGER_PREFIX = 'paysim:payment:';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const testAddress = () => ({
  streetAddress: '1 Test Street',
  city: 'Testville',
  postalCode: '1011AA',
  country: 'NL',
});

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** One JSON request to the running API; the body is parsed when the answer is JSON. */
export async function http<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<HttpResult<T>> {
  const response = await fetch(`${API_BASE}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...authHeader(staffRoleFor(method, path)),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) {
    parsed = JSON.parse(text);
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** The body of every error answer (api/errors.ts). */
export interface ErrorBody {
  status: number;
  error: string;
  message: string;
  path: string;
  timestamp: string;
  validationErrors?: FieldError[];
}

export interface OrderBody {
  id: string;
  customerId: string;
  status: string;
  totalAmount: string;
  cancellationReason: string | null;
  version: number;
  items?: { productId: string; quantity: number; unitPrice: string; lineTotal: string }[];
}

export interface ItemBody {
  productId: string;
  availableQuantity: number;
  reservedQuantity: number;
  soldQuantity: number;
  unitPrice: string;
}

/** Creates a catalogue item through POST /api/inventory/items on the running API. */
export async function createProduct(
  productId: string,
  availableQuantity: number,
  unitPrice = '12.50',
): Promise<ItemBody> {
  const response = await http<ItemBody>('POST', '/api/inventory/items', {
    productId,
    productName: `Test product ${productId}`,
    availableQuantity,
    unitPrice,
    category: 'e2e-tests',
  });
  if (response.status !== 201) {
    throw new Error(`creating ${productId} answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

export async function productStock(productId: string): Promise<ItemBody> {
  const response = await http<ItemBody>('GET', `/api/inventory/items/${encodeURIComponent(productId)}`);
  if (response.status !== 200) throw new Error(`GET item ${productId} answered ${response.status}`);
  return response.body;
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : JSON.stringify(error));

/**
 * Polls `probe` until it returns something other than undefined, or fails after `timeoutMs` with the
 * last value seen (so a timeout says where things were stuck).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : `: ${describeError(lastError)}`}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** Polls GET /api/orders/:id until the order's status is one of `statuses`. */
export function waitForOrderStatus(
  orderId: string,
  statuses: readonly string[],
  timeoutMs = 30_000,
): Promise<OrderBody> {
  let last = 'unknown';
  return waitFor(
    `order ${orderId} to become ${statuses.join('|')}`,
    async () => {
      const response = await http<OrderBody>('GET', `/api/orders/${orderId}`);
      if (response.status !== 200) throw new Error(`GET order answered ${response.status}`);
      last = response.body.status;
      return statuses.includes(response.body.status) ? response.body : undefined;
    },
    { timeoutMs },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)} (last status ${last})`);
  });
}

export interface LedgerEntry {
  idempotencyKey: string;
  status: string;
  captures: number;
  refunds: number;
  amount: string;
  reference: string;
}

/**
 * Every ledger entry of the simulated provider whose reference is one of `orderIds`, grouped by
 * order. Scans the whole ledger, so an order charged under a second idempotency key shows up too.
 */
export async function ledgerByOrder(
  redis: Redis,
  orderIds: Iterable<string>,
): Promise<Map<string, LedgerEntry[]>> {
  const wanted = new Set(orderIds);
  const result = new Map<string, LedgerEntry[]>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${LEDGER_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const values = await redis.mget(...keys);
    for (const raw of values) {
      if (!raw) continue;
      const entry = JSON.parse(raw) as LedgerEntry;
      if (!wanted.has(entry.reference)) continue;
      result.set(entry.reference, [...(result.get(entry.reference) ?? []), entry]);
    }
  } while (cursor !== '0');
  return result;
}

/** Terminates the sagas of these orders that are still running (confirmed sagas wait for fulfilment). */
export async function terminateSagas(client: Client, orderIds: Iterable<string>): Promise<void> {
  await Promise.allSettled(
    [...orderIds].map(async (orderId) => {
      const handle = client.workflow.getHandle(orderWorkflowId(orderId));
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') await handle.terminate('test cleanup');
    }),
  );
}

/** The status of each order, from the orders database. */
export async function orderRows(ordersDb: OrdersDb, customerPrefix: string) {
  return ordersDb.order.findMany({
    where: { customerId: { startsWith: customerPrefix } },
    select: { id: true, customerId: true, status: true, cancellationReason: true },
  });
}

/** Clients of the running stack for a test file: both databases, Temporal and Redis. */
export interface StackClients extends TestDbs {
  temporal: Client;
  redis: Redis;
}

/** Creates the clients; close them with `closeStackClients` in afterAll. */
export function createStackClients(poolSize = 4): StackClients {
  return {
    ...createTestDbs(poolSize),
    temporal: createTemporalClient(stackConfig.TEMPORAL_ADDRESS, stackConfig.TEMPORAL_NAMESPACE),
    // Lazy, like the Temporal client: a suite that never touches Redis does not need it running.
    redis: new Redis(stackConfig.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 }),
  };
}

/**
 * Ends a run: terminates the still running sagas of its orders (found by customer-id prefix),
 * removes its rows (see removeRunRows) and closes the clients.
 */
export async function closeStackClients(
  { ordersDb, inventoryDb, temporal, redis }: StackClients,
  runId: string,
): Promise<void> {
  try {
    const orders = await orderRows(ordersDb, runId);
    await terminateSagas(
      temporal,
      orders.map((o) => o.id),
    );
    await removeRunRows(ordersDb, inventoryDb, runId);
  } finally {
    await Promise.allSettled([
      ordersDb.$disconnect(),
      inventoryDb.$disconnect(),
      temporal.connection.close(),
    ]);
    redis.disconnect();
  }
}
