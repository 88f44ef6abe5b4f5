/**
 * Backorders on the running stack. An order with allowBackorder for a product out of stock waits
 * (PENDING, saga step AWAITING_RESTOCK); a restock through the API (PUT /api/inventory/items/:id)
 * becomes INVENTORY_RESTOCKED on trackops.inventory, the restock-signals consumer signals every
 * saga waiting on the product, and the order confirms. Without a restock the saga cancels with
 * BACKORDER_EXPIRED at its deadline: that part runs its own worker process on its own task queue,
 * with orders placed through createApp configured with BACKORDER_TIMEOUT=6s.
 */
import { staffRequest as request } from '../support/auth';
import { createApp } from '../../api/app';
import { RESTOCK_SIGNALS_CONSUMER } from '../../consumers/restock-signals';
import { createLogger } from '../../lib/logger';
import { orderWorkflowId, type OrderSagaInput, type SagaState } from '../../workflows/contract';
import { inventoryOutbox, testRunId } from '../support/db';
import {
  closeStackClients,
  createProduct,
  createStackClients,
  http,
  productStock,
  testAddress,
  waitFor,
  waitForOrderStatus,
  type OrderBody,
} from '../support/orders-e2e';
import { processedRows, signalsOf } from '../support/signals';
import { stackConfig } from '../support/stack-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

/** Sets an item's stock as an operator does: based on the version just read. */
async function restock(productId: string, availableQuantity: number) {
  const item = await http<{ version: number }>('GET', `/api/inventory/items/${productId}`);
  return http('PUT', `/api/inventory/items/${productId}`, { availableQuantity, version: item.body.version });
}

const RUN = testRunId('backorder');
const QUEUE = `orders-backorder-${RUN}`;
const stack = createStackClients();
const { ordersDb, inventoryDb, temporal, redis } = stack;
const workers: WorkerProcess[] = [];

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => stopWorkerProcess(w, 5000)));
  await closeStackClients(stack, RUN);
}, 60_000);

let seq = 0;
const orderBody = (productId: string, quantity: number) => ({
  customerId: `${RUN}-c${++seq}`,
  items: [{ productId, quantity }],
  address: testAddress(),
  allowBackorder: true,
});

/** Polls the saga (GET /api/orders/:id/saga on the stack) until it waits for a restock. */
const waitAwaitingRestock = (orderId: string, restockNotes = 0) =>
  waitFor(
    `order ${orderId} to wait for a restock`,
    async () => {
      const saga = await http<SagaState>('GET', `/api/orders/${orderId}/saga`);
      const waits = saga.body.timeline?.filter(
        (e) => e.step === 'AWAITING_RESTOCK' && e.outcome === 'STARTED',
      );
      return saga.status === 200 &&
        saga.body.step === 'AWAITING_RESTOCK' &&
        (waits?.length ?? 0) > restockNotes
        ? saga.body
        : undefined;
    },
    { timeoutMs: 30_000 },
  );

const restockEventIds = async (productId: string) =>
  (await inventoryOutbox(inventoryDb, productId, 'INVENTORY_RESTOCKED')).map((e) => e.id);

it('confirms a waiting backorder when the product is restocked', async () => {
  const productId = `${RUN}-a`;
  await createProduct(productId, 0, '5.00');
  const created = await http<OrderBody>('POST', '/api/orders', orderBody(productId, 2));
  expect(created.status).toBe(201);
  const orderId = created.body.id;

  const waiting = await waitAwaitingRestock(orderId);
  expect(waiting.status).toBe('PENDING');
  expect((await http<OrderBody>('GET', `/api/orders/${orderId}`)).body.status).toBe('PENDING');

  const restocked = await restock(productId, 5);
  expect(restocked.status).toBe(200);
  const confirmed = await waitForOrderStatus(orderId, ['CONFIRMED', 'CANCELLED'], 30_000);
  expect(confirmed.status).toBe('CONFIRMED');

  const [eventId] = await restockEventIds(productId);
  expect(eventId).toBeDefined();
  await waitFor('the restock event to be recorded as processed', async () =>
    (await processedRows(ordersDb, RESTOCK_SIGNALS_CONSUMER, [eventId!])).length === 1 ? true : undefined,
  );
  expect((await signalsOf(temporal, orderWorkflowId(orderId), 'restock')).map((s) => s.arg)).toEqual([
    { productId },
  ]);
  const stock = await productStock(productId);
  expect({ available: stock.availableQuantity, sold: stock.soldQuantity }).toEqual({ available: 3, sold: 2 });
}, 120_000);

it('signals every saga waiting on the product; one that still lacks stock waits again', async () => {
  const productId = `${RUN}-b`;
  await createProduct(productId, 0, '5.00');
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const created = await http<OrderBody>('POST', '/api/orders', orderBody(productId, 3));
    expect(created.status).toBe(201);
    ids.push(created.body.id);
  }
  for (const id of ids) await waitAwaitingRestock(id);

  // Enough for one of them: both are signalled, one confirms, the other finds too little and waits.
  expect((await restock(productId, 3)).status).toBe(200);
  const first = await waitFor('one of the two backorders to confirm', async () => {
    const rows = await ordersDb.order.findMany({ where: { id: { in: ids } } });
    const done = rows.filter((o) => o.status === 'CONFIRMED');
    return done.length === 1 ? done[0] : undefined;
  });
  const secondId = ids.find((id) => id !== first.id)!;
  await waitAwaitingRestock(secondId, 1);
  for (const id of ids) {
    expect((await signalsOf(temporal, orderWorkflowId(id), 'restock')).map((s) => s.arg)).toEqual([
      { productId },
    ]);
  }

  expect((await restock(productId, 3)).status).toBe(200);
  expect((await waitForOrderStatus(secondId, ['CONFIRMED', 'CANCELLED'], 30_000)).status).toBe('CONFIRMED');
  // The second restock reached only the saga still waiting.
  expect(await signalsOf(temporal, orderWorkflowId(secondId), 'restock')).toHaveLength(2);
  expect(await signalsOf(temporal, orderWorkflowId(first.id), 'restock')).toHaveLength(1);
}, 120_000);

it('cancels with BACKORDER_EXPIRED at the configured deadline when no restock comes', async () => {
  const worker = await startWorkerProcess({ taskQueue: QUEUE, label: 'backorder-worker' });
  workers.push(worker);
  const app = createApp({
    config: { ...stackConfig, LOG_LEVEL: 'silent', TEMPORAL_TASK_QUEUE: QUEUE, BACKORDER_TIMEOUT: '6s' },
    logger: createLogger('test', 'silent'),
    ordersDb,
    inventoryDb,
    temporal,
    redis,
  });
  const productId = `${RUN}-c`;
  await createProduct(productId, 0, '5.00');
  const created = await request(app).post('/api/orders').send(orderBody(productId, 1));
  expect(created.status).toBe(201);
  const orderId = (created.body as OrderBody).id;

  const handle = temporal.workflow.getHandle(orderWorkflowId(orderId));
  const history = await handle.fetchHistory();
  const [started] = history.events ?? [];
  const input = temporal.options.loadedDataConverter.payloadConverter.fromPayload<OrderSagaInput>(
    started!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!,
  );
  expect(input).toMatchObject({ allowBackorder: true, backorderTimeout: '6s' });

  await waitFor(
    'the saga to wait for a restock',
    async () => ((await handle.query<SagaState>('sagaState')).step === 'AWAITING_RESTOCK' ? true : undefined),
    { timeoutMs: 30_000 },
  );
  const result: unknown = await handle.result();
  expect(result).toEqual({ orderId, status: 'CANCELLED', cancellationReason: 'BACKORDER_EXPIRED' });
  const row = await ordersDb.order.findUniqueOrThrow({ where: { id: orderId } });
  expect({ status: row.status, reason: row.cancellationReason }).toEqual({
    status: 'CANCELLED',
    reason: 'BACKORDER_EXPIRED',
  });
  const state = await handle.query<SagaState>('sagaState');
  expect(state.compensations.map((c) => [c.name, c.outcome])).toEqual([['releaseInventory', 'COMPLETED']]);
  expect(await signalsOf(temporal, orderWorkflowId(orderId), 'restock')).toEqual([]);
}, 180_000);
