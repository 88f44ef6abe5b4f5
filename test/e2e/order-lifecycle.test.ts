/**
 * An order's whole life through the running stack (`bin/trackops stack up`): real HTTP against the
 * API on 127.0.0.1:${API_PORT}, the stack's saga worker on task queue `orders`, the simulated payment
 * provider's Redis ledger, and the audit trail and outbox in the orders database.
 */
import { isDeepStrictEqual } from 'node:util';
import type { SagaState } from '../../workflows/contract';
import { inventoryOutbox, orderEvents, testRunId } from '../support/db';
import {
  closeStackClients,
  createProduct,
  createStackClients,
  http,
  ledgerByOrder,
  productStock,
  testAddress,
  waitFor,
  waitForOrderStatus,
  type OrderBody,
} from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('e2elife');
let seq = 0;
const newId = (label: string) => `${RUN}-${label}-${++seq}`;

const stack = createStackClients();
const { ordersDb, inventoryDb, redis } = stack;

beforeAll(async () => {
  const health = await http('GET', '/health').catch((error: unknown) => {
    throw new Error(`no API at ${stackConfig.API_PORT} (run \`bin/trackops stack up\`): ${String(error)}`);
  });
  expect(health.status).toBe(200);
}, 30_000);

afterAll(() => closeStackClients(stack, RUN), 60_000);

async function placeOrder(productId: string, quantity: number, paymentMethod?: string): Promise<OrderBody> {
  const response = await http<OrderBody>('POST', '/api/orders', {
    customerId: newId('cust'),
    items: [{ productId, quantity }],
    address: testAddress(),
    ...(paymentMethod ? { paymentMethod } : {}),
  });
  if (response.status !== 201) {
    throw new Error(`POST /api/orders answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  expect(response.body.status).toBe('PENDING');
  return response.body;
}

const stockLevels = async (productId: string) => {
  const item = await productStock(productId);
  return { available: item.availableQuantity, reserved: item.reservedQuantity, sold: item.soldQuantity };
};

type StockLevels = Awaited<ReturnType<typeof stockLevels>>;

/**
 * The item's stock as the API serves it equals `expected`, once it shows it or after 30 s. The API reads the
 * item through its cache, which follows the database through CDC: the item's change may land a
 * moment after the order's own, so an order read as CONFIRMED can still see its stock as reserved.
 */
async function expectStockLevels(productId: string, expected: StockLevels): Promise<void> {
  const deadline = Date.now() + 30_000;
  let levels = await stockLevels(productId);
  while (!isDeepStrictEqual(levels, expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    levels = await stockLevels(productId);
  }
  expect(levels).toEqual(expected);
}

const sagaState = async (orderId: string) => {
  const response = await http<SagaState>('GET', `/api/orders/${orderId}/saga`);
  expect(response.status).toBe(200);
  return response.body;
};

/**
 * The audit trail (order_events) and the orders outbox of one order: each transition has one audit
 * row, and one orders outbox row carrying the same status, in the same order.
 */
async function expectAuditTrail(orderId: string, statuses: string[], outboxTypes: string[]) {
  const events = await orderEvents(ordersDb, orderId);
  expect(events.map((e) => e.toStatus)).toEqual(statuses);
  expect(events.map((e) => e.fromStatus)).toEqual([null, ...statuses.slice(0, -1)]);
  const outbox = await ordersDb.outboxEvent.findMany({
    where: { aggregateId: orderId, aggregateType: 'orders' },
    orderBy: { occurredAt: 'asc' },
  });
  expect(outbox.map((o) => o.type)).toEqual(outboxTypes);
  expect(outbox.map((o) => (o.payload as { status?: string }).status)).toEqual(statuses);
  expect(outbox.every((o) => (o.payload as { orderId?: string }).orderId === orderId)).toBe(true);
  return { events, outbox };
}

const paymentOutboxTypes = async (orderId: string) =>
  (
    await ordersDb.outboxEvent.findMany({
      where: { aggregateId: orderId, aggregateType: 'payments' },
      orderBy: { occurredAt: 'asc' },
    })
  ).map((o) => o.type);

describe('order lifecycle against the running stack', () => {
  it('confirms, moves through PROCESSING, SHIPPED, DELIVERED and then refuses changes', async () => {
    const productId = newId('p');
    await createProduct(productId, 10, '12.50');
    const placed = await placeOrder(productId, 2);
    expect(placed.totalAmount).toBe('25.00');

    const confirmed = await waitForOrderStatus(placed.id, ['CONFIRMED', 'CANCELLED']);
    expect(confirmed.status).toBe('CONFIRMED');
    await expectStockLevels(productId, { available: 8, reserved: 0, sold: 2 });

    // CONFIRMED -> DELIVERED skips shipping: the saga refuses it.
    const skip = await http<{ status: number }>('PUT', `/api/orders/${placed.id}/status`, {
      newStatus: 'DELIVERED',
    });
    expect(skip.status).toBe(409);

    for (const newStatus of ['PROCESSING', 'SHIPPED', 'DELIVERED']) {
      const response = await http<OrderBody>('PUT', `/api/orders/${placed.id}/status`, { newStatus });
      expect({ newStatus, status: response.status, order: response.body.status }).toEqual({
        newStatus,
        status: 200,
        order: newStatus,
      });
    }

    const saga = await waitFor(
      'the saga to complete',
      async () => {
        const state = await sagaState(placed.id);
        return state.step === 'COMPLETED' ? state : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(saga).toMatchObject({ orderId: placed.id, status: 'DELIVERED', step: 'COMPLETED' });
    expect(saga.compensations).toEqual([]);

    const cancel = await http<{ status: number }>('DELETE', `/api/orders/${placed.id}`);
    expect(cancel.status).toBe(409);
    for (const newStatus of ['SHIPPED', 'DELIVERED', 'PROCESSING']) {
      const change = await http<{ status: number }>('PUT', `/api/orders/${placed.id}/status`, { newStatus });
      expect({ newStatus, status: change.status }).toEqual({ newStatus, status: 409 });
    }
    const final = await http<OrderBody>('GET', `/api/orders/${placed.id}`);
    expect(final.body.status).toBe('DELIVERED');

    const ledger = (await ledgerByOrder(redis, [placed.id])).get(placed.id) ?? [];
    expect(ledger.map((p) => [p.status, p.captures, p.refunds, p.amount])).toEqual([
      ['CAPTURED', 1, 0, '25.00'],
    ]);
    const payments = await ordersDb.payment.findMany({ where: { orderId: placed.id } });
    expect(payments.map((p) => [p.status, p.idempotencyKey])).toEqual([
      ['CAPTURED', saga.paymentIdempotencyKey],
    ]);
    expect(await paymentOutboxTypes(placed.id)).toEqual(['PAYMENT_AUTHORIZED', 'PAYMENT_CAPTURED']);
    await expectStockLevels(productId, { available: 8, reserved: 0, sold: 2 });

    await expectAuditTrail(
      placed.id,
      ['PENDING', 'CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED'],
      ['ORDER_CREATED', 'ORDER_CONFIRMED', 'ORDER_STATUS_UPDATED', 'ORDER_STATUS_UPDATED', 'ORDER_DELIVERED'],
    );
  }, 60_000);

  it('cancels a confirmed order: stock returns and the payment is refunded', async () => {
    const productId = newId('p');
    await createProduct(productId, 5, '7.25');
    const placed = await placeOrder(productId, 2);
    await waitForOrderStatus(placed.id, ['CONFIRMED']);
    await expectStockLevels(productId, { available: 3, reserved: 0, sold: 2 });

    const cancel = await http<{ orderId: string; status: string }>('DELETE', `/api/orders/${placed.id}`);
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ orderId: placed.id, status: 'CANCELLATION_REQUESTED' });

    const cancelled = await waitForOrderStatus(placed.id, ['CANCELLED']);
    expect(cancelled.cancellationReason).toBe('CUSTOMER_REQUEST');
    await expectStockLevels(productId, { available: 5, reserved: 0, sold: 0 });

    const ledger = (await ledgerByOrder(redis, [placed.id])).get(placed.id) ?? [];
    expect(ledger.map((p) => [p.status, p.captures, p.refunds])).toEqual([['REFUNDED', 1, 1]]);
    const payments = await ordersDb.payment.findMany({ where: { orderId: placed.id } });
    expect(payments.map((p) => p.status)).toEqual(['REFUNDED']);
    expect(await paymentOutboxTypes(placed.id)).toEqual([
      'PAYMENT_AUTHORIZED',
      'PAYMENT_CAPTURED',
      'PAYMENT_REFUNDED',
    ]);

    const saga = await waitFor('the saga to finish cancelling', async () => {
      const state = await sagaState(placed.id);
      return state.step === 'CANCELLED' ? state : undefined;
    });
    expect(saga).toMatchObject({ status: 'CANCELLED', cancellationReason: 'CUSTOMER_REQUEST' });
    expect(saga.compensations.map((c) => [c.name, c.outcome])).toEqual([
      ['voidOrRefundPayment', 'COMPLETED'],
      ['releaseInventory', 'COMPLETED'],
    ]);

    // A second cancel is harmless; fulfilment is refused.
    const again = await http<{ status: string }>('DELETE', `/api/orders/${placed.id}`);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('CANCELLED');
    const ship = await http('PUT', `/api/orders/${placed.id}/status`, { newStatus: 'PROCESSING' });
    expect(ship.status).toBe(409);

    const { events, outbox } = await expectAuditTrail(
      placed.id,
      ['PENDING', 'CONFIRMED', 'CANCELLED'],
      ['ORDER_CREATED', 'ORDER_CONFIRMED', 'ORDER_CANCELLED'],
    );
    expect(events.at(-1)?.reason).toBe('CUSTOMER_REQUEST');
    expect(outbox.at(-1)?.payload).toMatchObject({ reason: 'CUSTOMER_REQUEST' });
  }, 60_000);

  it('cancels an order for more than the stock as OUT_OF_STOCK, leaving stock alone', async () => {
    const productId = newId('p');
    await createProduct(productId, 2);
    const placed = await placeOrder(productId, 3);

    const cancelled = await waitForOrderStatus(placed.id, ['CANCELLED', 'CONFIRMED']);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
    await expectStockLevels(productId, { available: 2, reserved: 0, sold: 0 });
    expect((await ledgerByOrder(redis, [placed.id])).get(placed.id)).toBeUndefined();
    expect(await ordersDb.payment.count({ where: { orderId: placed.id } })).toBe(0);
    expect(await paymentOutboxTypes(placed.id)).toEqual([]);

    const { events } = await expectAuditTrail(
      placed.id,
      ['PENDING', 'CANCELLED'],
      ['ORDER_CREATED', 'ORDER_CANCELLED'],
    );
    expect(events.at(-1)?.reason).toBe('OUT_OF_STOCK');
    const reservationEvents = await inventoryOutbox(inventoryDb, placed.id);
    expect(reservationEvents.map((e) => e.type)).toEqual(['INVENTORY_RESERVATION_FAILED']);
  }, 60_000);

  it('cancels an order whose card is declined as PAYMENT_DECLINED, restoring stock', async () => {
    const productId = newId('p');
    await createProduct(productId, 4);
    const placed = await placeOrder(productId, 1, 'tok_chargeDeclined');

    const cancelled = await waitForOrderStatus(placed.id, ['CANCELLED', 'CONFIRMED']);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    // Held while authorising, then given back.
    await expectStockLevels(productId, { available: 4, reserved: 0, sold: 0 });

    const ledger = (await ledgerByOrder(redis, [placed.id])).get(placed.id) ?? [];
    expect(ledger.map((p) => [p.status, p.captures, p.refunds])).toEqual([['DECLINED', 0, 0]]);
    const payments = await ordersDb.payment.findMany({ where: { orderId: placed.id } });
    expect(payments.map((p) => p.status)).toEqual(['DECLINED']);
    expect(await paymentOutboxTypes(placed.id)).toEqual(['PAYMENT_DECLINED']);

    const { events } = await expectAuditTrail(
      placed.id,
      ['PENDING', 'CANCELLED'],
      ['ORDER_CREATED', 'ORDER_CANCELLED'],
    );
    expect(events.at(-1)?.reason).toBe('PAYMENT_DECLINED');
    const inventoryEvents = await inventoryOutbox(inventoryDb, placed.id);
    expect(inventoryEvents.map((e) => e.type)).toEqual(['INVENTORY_RESERVED', 'INVENTORY_RELEASED']);
  }, 60_000);
});
