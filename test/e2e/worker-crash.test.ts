/**
 * A worker crash in the middle of sagas: this test runs its own worker process on its own task
 * queue with a slow payment provider (1.5 s per call), starts 10 sagas, SIGKILLs the worker while
 * payments are in flight, starts a fresh worker and checks that every saga still completes, every
 * order was charged exactly once and the stock adds up. Needs the stack's Postgres, Redis and
 * Temporal (`bin/trackops stack up`).
 */
import { placeOrderThroughSaga } from '../support/orders';
import type { Order } from '../../domain/orders/db';
import { orderWorkflowId, sagaStateQuery } from '../../workflows/contract';
import { signalGroup } from '../support/child-process';
import { inventoryOutbox, orderEvents, ordersOutbox, testRunId } from '../support/db';
import {
  closeStackClients,
  createProduct,
  createStackClients,
  ledgerByOrder,
  orderRows,
  productStock,
  sleep,
  testAddress,
  waitFor,
} from '../support/orders-e2e';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

const RUN = testRunId('e2ecrash');
const QUEUE = `orders-crash-${RUN}`;
const SAGAS = 10;
const QUANTITY = 2;
const START_STOCK = 100;
const productId = `${RUN}-p`;
const workerEnv = { PAYMENT_LATENCY_MS: '1500' };

const stack = createStackClients(10);
const { ordersDb, inventoryDb, redis, temporal } = stack;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  await createProduct(productId, START_STOCK, '30.00');
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => stopWorkerProcess(w, 5_000)));
  await closeStackClients(stack, RUN);
}, 60_000);

/** A PENDING order placed as the API places it: its saga, on this test's queue, writes it. */
function orderWithSaga(index: number): Promise<Order> {
  return placeOrderThroughSaga({ ordersDb, inventoryDb }, temporal, QUEUE, {
    customerId: `${RUN}-cust-${index}`,
    items: [{ productId, quantity: QUANTITY }],
    address: testAddress(),
  });
}

it('completes every saga exactly once after the worker is killed mid-payment', async () => {
  const first = await startWorkerProcess({ taskQueue: QUEUE, env: workerEnv, label: 'crash-worker-1' });
  workers.push(first);

  // Staggered starts, so at the kill some sagas are authorising and some capturing.
  const orders: Order[] = [];
  for (let i = 0; i < SAGAS; i++) {
    orders.push(await orderWithSaga(i));
    await sleep(250);
  }
  const ids = orders.map((o) => o.id);

  // Kill as soon as the first authorization has been recorded: payments are then in flight.
  await waitFor(
    'a first authorized payment',
    async () => ((await ordersDb.payment.count({ where: { orderId: { in: ids } } })) > 0 ? true : undefined),
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  signalGroup(first, 'SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  const atKill = await orderRows(ordersDb, RUN);
  const paymentsAtKill = await ordersDb.payment.findMany({ where: { orderId: { in: ids } } });
  const ledgerAtKill = [...(await ledgerByOrder(redis, ids)).values()].flat();
  const unfinished = atKill.filter((o) => o.status !== 'CONFIRMED');
  // The point of the test: the crash hit sagas that were not finished.
  expect(unfinished.length).toBeGreaterThan(0);
  console.info(
    `worker killed: ${SAGAS - unfinished.length} confirmed, ${paymentsAtKill.length} payments recorded ` +
      `(${paymentsAtKill.map((p) => p.status).join(', ')}), provider ledger: ` +
      `${ledgerAtKill.map((e) => e.status).join(', ') || 'empty'}`,
  );

  const second = await startWorkerProcess({ taskQueue: QUEUE, env: workerEnv, label: 'crash-worker-2' });
  workers.push(second);

  const restartedAt = Date.now();
  const settled = await waitFor(
    `all ${SAGAS} sagas to confirm after the restart`,
    async () => {
      const rows = await orderRows(ordersDb, RUN);
      if (rows.some((o) => o.status === 'CANCELLED')) return rows;
      return rows.length === SAGAS && rows.every((o) => o.status === 'CONFIRMED') ? rows : undefined;
    },
    { timeoutMs: 150_000, intervalMs: 500 },
  );
  console.info(`all sagas settled ${Date.now() - restartedAt} ms after the new worker was ready`);
  expect(settled.map((o) => [o.status, o.cancellationReason])).toEqual(
    Array.from({ length: SAGAS }, () => ['CONFIRMED', null]),
  );

  // Each saga is waiting for fulfilment, with nothing compensated.
  for (const id of ids) {
    const state = await temporal.workflow.getHandle(orderWorkflowId(id)).query(sagaStateQuery);
    expect({ id, status: state.status, step: state.step, compensations: state.compensations }).toEqual({
      id,
      status: 'CONFIRMED',
      step: 'AWAITING_FULFILMENT',
      compensations: [],
    });
  }

  // The provider charged each order once, under one idempotency key.
  const ledger = await ledgerByOrder(redis, ids);
  for (const id of ids) {
    const entries = ledger.get(id) ?? [];
    expect({ id, ledger: entries.map((e) => [e.status, e.captures, e.refunds, e.amount]) }).toEqual({
      id,
      ledger: [['CAPTURED', 1, 0, '60.00']],
    });
  }
  const allEntries = [...ledger.values()].flat();
  expect(allEntries.filter((e) => e.captures > 1)).toEqual([]);

  // Exactly one payments row per order, the ledger's.
  const payments = await ordersDb.payment.findMany({ where: { orderId: { in: ids } } });
  expect(payments).toHaveLength(SAGAS);
  for (const payment of payments) {
    expect(payment.status).toBe('CAPTURED');
    expect(payment.idempotencyKey).toBe(ledger.get(payment.orderId)?.[0]?.idempotencyKey);
  }

  // Stock adds up: nothing held twice, nothing lost.
  const stock = await productStock(productId);
  expect(stock.availableQuantity + stock.reservedQuantity + stock.soldQuantity).toBe(START_STOCK);
  expect({
    available: stock.availableQuantity,
    reserved: stock.reservedQuantity,
    sold: stock.soldQuantity,
  }).toEqual({
    available: START_STOCK - SAGAS * QUANTITY,
    reserved: 0,
    sold: SAGAS * QUANTITY,
  });
  const reservations = await inventoryDb.inventoryReservation.findMany({ where: { productId } });
  expect(reservations).toHaveLength(SAGAS);
  expect(reservations.every((r) => r.status === 'COMMITTED')).toBe(true);

  // Retried activities wrote their audit rows and events once.
  for (const id of ids) {
    const events = await orderEvents(ordersDb, id);
    expect(events.map((e) => e.toStatus)).toEqual(['PENDING', 'CONFIRMED']);
    const outbox = await ordersOutbox(ordersDb, id);
    expect(outbox.map((o) => o.type).sort()).toEqual(
      ['ORDER_CREATED', 'ORDER_CONFIRMED', 'PAYMENT_AUTHORIZED', 'PAYMENT_CAPTURED'].sort(),
    );
    const inventoryEvents = await inventoryOutbox(inventoryDb, id);
    expect(inventoryEvents.map((e) => e.type).sort()).toEqual(['INVENTORY_COMMITTED', 'INVENTORY_RESERVED']);
  }
}, 300_000);
