/**
 * The saga's inventory activities (reserve / release / commit) and the reservation-expiry
 * maintenance activity, run through MockActivityEnvironment against the stack's Postgres.
 */
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities/create-activities';
import { createMaintenanceActivities } from '../../activities/maintenance-activities';
import type { PaymentGateway } from '../../activities/payments/gateway';
import type { OrderRef, ReserveInventoryInput } from '../../activities/types';
import { reserveStock } from '../../domain/inventory/stock';
import { EventType } from '../../domain/events';
import { FailureType } from '../../workflows/contract';
import {
  closeTestDbs,
  createTestDbs,
  createTestItem,
  inventoryOutbox,
  stockOf,
  testRunId,
} from '../support/db';
import { applicationFailureOf, quietActivityRunner } from './helpers';

const RUN = testRunId('actinv');
let seq = 0;
const newProductId = (label = 'p') => `${RUN}-${label}-${++seq}`;
const newOrderId = (): string => randomUUID();

const dbs = createTestDbs();
const { inventoryDb } = dbs;
/** Inventory activities never reach the payment provider. */
const unusedPayments = new Proxy({} as PaymentGateway, {
  get: () => () => Promise.reject(new Error('inventory activities must not call the payment provider')),
});
const activities = createActivities({ ...dbs, payments: unusedPayments });
const maintenance = createMaintenanceActivities({ inventoryDb });
const run = quietActivityRunner();

/** The activity reserves only for an order that exists (committed by the API), so make one. */
const ensureOrder = (orderId: string) =>
  dbs.ordersDb.order.upsert({
    where: { id: orderId },
    update: {},
    create: {
      id: orderId,
      customerId: RUN,
      totalAmount: '1.00',
      streetAddress: '1 Stock St',
      city: 'Holdham',
      postalCode: '1000',
      country: 'NL',
    },
  });
const reserve = async (input: ReserveInventoryInput) => {
  await ensureOrder(input.orderId);
  return run(activities.reserveInventory.bind(activities), input);
};
const release = (input: OrderRef) => run(activities.releaseInventory.bind(activities), input);
const commit = (input: OrderRef) => run(activities.commitInventory.bind(activities), input);

const reservationsOf = (orderId: string) =>
  inventoryDb.inventoryReservation.findMany({ where: { orderId }, orderBy: { productId: 'asc' } });

afterAll(() => closeTestDbs(dbs, RUN));

describe('reserveInventory', () => {
  it('for an order whose row is not committed yet: a retryable failure that holds nothing', async () => {
    const a = newProductId('a');
    await createTestItem(inventoryDb, a, 10);
    const orderId = newOrderId();
    const failure = await applicationFailureOf(
      run(activities.reserveInventory.bind(activities), { orderId, items: [{ productId: a, quantity: 2 }] }),
    );
    expect(failure.type).toBe('OrderNotCommitted');
    expect(failure.nonRetryable).toBe(false);
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await reservationsOf(orderId)).toEqual([]);
  });

  it('holds stock: available down, reserved up, one reservation row per line, INVENTORY_RESERVED', async () => {
    const a = newProductId('a');
    const b = newProductId('b');
    await createTestItem(inventoryDb, a, 10);
    await createTestItem(inventoryDb, b, 5);
    const orderId = newOrderId();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

    // The same product twice is one line; lines arrive in any order.
    const { reservationIds } = await reserve({
      orderId,
      items: [
        { productId: b, quantity: 2 },
        { productId: a, quantity: 3 },
        { productId: a, quantity: 1 },
      ],
      traceparent,
    });

    expect(await stockOf(inventoryDb, a)).toEqual({ available: 6, reserved: 4, sold: 0 });
    expect(await stockOf(inventoryDb, b)).toEqual({ available: 3, reserved: 2, sold: 0 });
    const rows = await reservationsOf(orderId);
    expect(rows.map((r) => [r.productId, r.quantity, r.status, r.expiresAt])).toEqual([
      [a, 4, 'ACTIVE', null],
      [b, 2, 'ACTIVE', null],
    ]);
    expect(reservationIds).toHaveLength(2);
    expect([...reservationIds].sort()).toEqual(rows.map((r) => r.id).sort());

    const events = await inventoryOutbox(inventoryDb, orderId);
    expect(events.map((e) => [e.aggregateType, e.type])).toEqual([
      ['inventory', EventType.InventoryReserved],
    ]);
    expect(events[0]?.traceparent).toBe(traceparent);
    expect(events[0]?.payload).toEqual({
      orderId,
      reservationIds,
      items: [
        { productId: a, quantity: 4 },
        { productId: b, quantity: 2 },
      ],
      expiresAt: null,
    });
  });

  it('reserving twice for the same order has the effect of once (same ids, quantities unchanged)', async () => {
    const a = newProductId('a');
    const b = newProductId('b');
    await createTestItem(inventoryDb, a, 10);
    await createTestItem(inventoryDb, b, 10);
    const orderId = newOrderId();
    const items = [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ];

    const first = await reserve({ orderId, items });
    const afterFirst = [await stockOf(inventoryDb, a), await stockOf(inventoryDb, b)];
    const second = await reserve({ orderId, items });

    // The repeat reads the rows back without an ORDER BY, so compare the ids as a set.
    expect([...second.reservationIds].sort()).toEqual([...first.reservationIds].sort());
    expect([await stockOf(inventoryDb, a), await stockOf(inventoryDb, b)]).toEqual(afterFirst);
    expect(afterFirst).toEqual([
      { available: 8, reserved: 2, sold: 0 },
      { available: 7, reserved: 3, sold: 0 },
    ]);
    expect(await reservationsOf(orderId)).toHaveLength(2);
    expect(await inventoryOutbox(inventoryDb, orderId, EventType.InventoryReserved)).toHaveLength(1);
  });

  it('insufficient stock is a non-retryable InsufficientStock failure and holds nothing (all or nothing)', async () => {
    // Lines are reserved in product-id order, so `a` is decremented before `b` is found short.
    const a = newProductId('a');
    const b = newProductId('b');
    await createTestItem(inventoryDb, a, 10);
    await createTestItem(inventoryDb, b, 1);
    const orderId = newOrderId();
    const items = [
      { productId: a, quantity: 4 },
      { productId: b, quantity: 2 },
    ];

    const failure = await applicationFailureOf(reserve({ orderId, items }));

    expect(failure.type).toBe(FailureType.InsufficientStock);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ productId: b }]);
    // The first item's decrement was rolled back with the rest.
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await stockOf(inventoryDb, b)).toEqual({ available: 1, reserved: 0, sold: 0 });
    expect(await reservationsOf(orderId)).toEqual([]);
    expect(await inventoryOutbox(inventoryDb, orderId, EventType.InventoryReserved)).toEqual([]);
    const failed = await inventoryOutbox(inventoryDb, orderId, EventType.InventoryReservationFailed);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.payload).toEqual({
      orderId,
      productId: b,
      reason: 'InsufficientStockError',
      items: [
        { productId: a, quantity: 4 },
        { productId: b, quantity: 2 },
      ],
    });
  });

  it('an unknown product is reported with the same InsufficientStock failure type (by design)', async () => {
    // The saga only distinguishes "cannot reserve" (cancel or backorder) from infrastructure
    // failures, so UnknownProductError maps to FailureType.InsufficientStock as well; the
    // INVENTORY_RESERVATION_FAILED event keeps the precise reason.
    const a = newProductId('a');
    const missing = newProductId('missing');
    await createTestItem(inventoryDb, a, 10);
    const orderId = newOrderId();

    const failure = await applicationFailureOf(
      reserve({
        orderId,
        items: [
          { productId: a, quantity: 1 },
          { productId: missing, quantity: 1 },
        ],
      }),
    );

    expect(failure.type).toBe(FailureType.InsufficientStock);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ productId: missing }]);
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await reservationsOf(orderId)).toEqual([]);
    const failed = await inventoryOutbox(inventoryDb, orderId, EventType.InventoryReservationFailed);
    expect(failed.map((e) => (e.payload as { reason: string }).reason)).toEqual(['UnknownProductError']);
  });

  it('30 concurrent single-unit reservations against 10 units: exactly 10 succeed, never oversold', async () => {
    const a = newProductId('hot');
    await createTestItem(inventoryDb, a, 10);
    const orderIds = Array.from({ length: 30 }, () => newOrderId());

    const results = await Promise.allSettled(
      orderIds.map((orderId) => reserve({ orderId, items: [{ productId: a, quantity: 1 }] })),
    );

    const succeeded = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(succeeded).toHaveLength(10);
    expect(refused).toHaveLength(20);
    for (const error of refused) {
      expect(error).toMatchObject({ type: FailureType.InsufficientStock, nonRetryable: true });
    }
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 0, reserved: 10, sold: 0 });
    const rows = await inventoryDb.inventoryReservation.findMany({ where: { productId: a } });
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.status === 'ACTIVE' && r.quantity === 1)).toBe(true);
    const winners = orderIds.filter((_, i) => results[i]?.status === 'fulfilled');
    expect(new Set(rows.map((r) => r.orderId))).toEqual(new Set(winners));
  });
});

describe('releaseInventory', () => {
  it('returns held stock; releasing twice is the same as once', async () => {
    const a = newProductId('a');
    const b = newProductId('b');
    await createTestItem(inventoryDb, a, 10);
    await createTestItem(inventoryDb, b, 10);
    const orderId = newOrderId();
    await reserve({
      orderId,
      items: [
        { productId: a, quantity: 3 },
        { productId: b, quantity: 1 },
      ],
    });

    expect(await release({ orderId })).toEqual({ released: 2 });
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await stockOf(inventoryDb, b)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect((await reservationsOf(orderId)).map((r) => r.status)).toEqual(['RELEASED', 'RELEASED']);

    expect(await release({ orderId })).toEqual({ released: 0 });
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await stockOf(inventoryDb, b)).toEqual({ available: 10, reserved: 0, sold: 0 });
    const released = await inventoryOutbox(inventoryDb, orderId, EventType.InventoryReleased);
    expect(released).toHaveLength(1);
    expect((released[0]?.payload as { items: unknown[] }).items).toEqual([
      { productId: a, quantity: 3, from: 'ACTIVE' },
      { productId: b, quantity: 1, from: 'ACTIVE' },
    ]);
  });

  it('releasing an order that never reserved anything is a no-op', async () => {
    const orderId = newOrderId();
    expect(await release({ orderId })).toEqual({ released: 0 });
    expect(await inventoryOutbox(inventoryDb, orderId)).toEqual([]);
  });

  it('after commit, release returns the sold stock to available', async () => {
    const a = newProductId('a');
    await createTestItem(inventoryDb, a, 10);
    const orderId = newOrderId();
    await reserve({ orderId, items: [{ productId: a, quantity: 4 }] });
    await commit({ orderId });
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 6, reserved: 0, sold: 4 });

    expect(await release({ orderId })).toEqual({ released: 1 });
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect((await reservationsOf(orderId)).map((r) => r.status)).toEqual(['RELEASED']);
    const released = await inventoryOutbox(inventoryDb, orderId, EventType.InventoryReleased);
    expect((released[0]?.payload as { items: unknown[] }).items).toEqual([
      { productId: a, quantity: 4, from: 'COMMITTED' },
    ]);

    expect(await release({ orderId })).toEqual({ released: 0 });
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 10, reserved: 0, sold: 0 });
  });
});

describe('commitInventory', () => {
  it('moves reserved stock to sold; committing twice is the same as once', async () => {
    const a = newProductId('a');
    await createTestItem(inventoryDb, a, 10);
    const orderId = newOrderId();
    await reserve({ orderId, items: [{ productId: a, quantity: 3 }] });

    await commit({ orderId });
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 7, reserved: 0, sold: 3 });
    await commit({ orderId });
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 7, reserved: 0, sold: 3 });

    const rows = await reservationsOf(orderId);
    expect(rows.map((r) => [r.status, r.expiresAt])).toEqual([['COMMITTED', null]]);
    const committed = await inventoryOutbox(inventoryDb, orderId, EventType.InventoryCommitted);
    expect(committed).toHaveLength(1);
    expect(committed[0]?.payload).toEqual({ orderId, items: [{ productId: a, quantity: 3 }] });
  });

  it('commit after release commits nothing', async () => {
    const a = newProductId('a');
    await createTestItem(inventoryDb, a, 10);
    const orderId = newOrderId();
    await reserve({ orderId, items: [{ productId: a, quantity: 3 }] });
    await release({ orderId });

    await commit({ orderId });
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await inventoryOutbox(inventoryDb, orderId, EventType.InventoryCommitted)).toEqual([]);
  });
});

describe('expireReservations (maintenance activity)', () => {
  it('releases only ACTIVE holds whose expiry has passed', async () => {
    const a = newProductId('a');
    await createTestItem(inventoryDb, a, 100);
    const past = new Date(Date.now() - 60_000);
    // A day ahead: other suites call expireReservations with "now" a few minutes ahead.
    const future = new Date(Date.now() + 86_400_000);
    const setExpiry = (orderId: string, expiresAt: Date) =>
      inventoryDb.inventoryReservation.updateMany({ where: { orderId }, data: { expiresAt } });

    const notYetDue = newOrderId();
    await reserveStock(inventoryDb, notYetDue, [{ productId: a, quantity: 3 }], { expiresAt: future });
    const noExpiry = newOrderId(); // a saga reservation
    await reserve({ orderId: noExpiry, items: [{ productId: a, quantity: 5 }] });
    const committed = newOrderId();
    await reserveStock(inventoryDb, committed, [{ productId: a, quantity: 7 }], { expiresAt: future });
    await commit({ orderId: committed });
    await setExpiry(committed, past); // commit clears the expiry; put one back to prove status counts
    const released = newOrderId();
    await reserveStock(inventoryDb, released, [{ productId: a, quantity: 11 }], { expiresAt: future });
    await release({ orderId: released });
    await setExpiry(released, past);
    const due = newOrderId();
    await reserveStock(inventoryDb, due, [{ productId: a, quantity: 2 }], { expiresAt: future });
    // Made due only now, so the stack worker's every-minute expiry schedule is unlikely to get there first.
    await setExpiry(due, past);
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 83, reserved: 10, sold: 7 });

    const { expired } = await run(maintenance.expireReservations.bind(maintenance));

    const mine = new Set([notYetDue, noExpiry, committed, released, due]);
    expect(expired.filter((orderId) => mine.has(orderId))).toEqual([due]);
    const status = async (orderId: string) => (await reservationsOf(orderId)).map((r) => r.status);
    expect(await status(due)).toEqual(['EXPIRED']);
    expect(await status(notYetDue)).toEqual(['ACTIVE']);
    expect(await status(noExpiry)).toEqual(['ACTIVE']);
    expect(await status(committed)).toEqual(['COMMITTED']);
    expect(await status(released)).toEqual(['RELEASED']);
    expect(await stockOf(inventoryDb, a)).toEqual({ available: 85, reserved: 8, sold: 7 });
    const events = await inventoryOutbox(inventoryDb, due, EventType.ReservationExpired);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toEqual({
      orderId: due,
      items: [{ productId: a, quantity: 2, from: 'ACTIVE' }],
    });

    // Nothing left to expire for these orders.
    const again = await run(maintenance.expireReservations.bind(maintenance));
    expect(again.expired.filter((orderId) => mine.has(orderId))).toEqual([]);
  });
});
