/**
 * Database helpers for tests that run against the stack's Postgres (`bin/trackops stack up postgres`).
 * Every test file picks a run prefix (`testRunId`) and uses it for product ids and customer ids, so
 * its rows never collide with other suites or demo data and can be removed in afterAll.
 */
import { randomBytes } from 'node:crypto';
import { createInventoryDb, InventoryPrisma, type InventoryDb } from '../../domain/inventory/db';
import { createOrdersDb, type Order, type OrdersDb } from '../../domain/orders/db';
import { writePendingOrder } from './orders';
import { stackConfig } from './stack-env';

/** A prefix unique to this test run, e.g. `inv-m1x2y3-a1b2c3`. */
export const testRunId = (label: string) =>
  `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export interface TestDbs {
  ordersDb: OrdersDb;
  inventoryDb: InventoryDb;
}

/** Clients for both contexts' databases; close them with `closeTestDbs` in afterAll. */
export function createTestDbs(poolSize = 10): TestDbs {
  return {
    ordersDb: createOrdersDb(stackConfig.ORDERS_DATABASE_URL, poolSize),
    inventoryDb: createInventoryDb(stackConfig.INVENTORY_DATABASE_URL, poolSize),
  };
}

/**
 * Removes a run's rows: its orders (with their items, payments and events, by cascade) by
 * customer-id prefix, and its reservations and items by product-id prefix. Outbox rows stay: they
 * are an append-only log that CDC may already have read.
 */
export async function removeRunRows(
  ordersDb: OrdersDb,
  inventoryDb: InventoryDb,
  runId: string,
): Promise<void> {
  const mine = { startsWith: runId };
  await ordersDb.order.deleteMany({ where: { customerId: mine } });
  await inventoryDb.inventoryReservation.deleteMany({ where: { productId: mine } });
  await inventoryDb.inventoryItem.deleteMany({ where: { productId: mine } });
}

/** Removes what a run created (see removeRunRows), then disconnects. */
export async function closeTestDbs({ ordersDb, inventoryDb }: TestDbs, runId: string): Promise<void> {
  try {
    await removeRunRows(ordersDb, inventoryDb, runId);
  } finally {
    await Promise.allSettled([ordersDb.$disconnect(), inventoryDb.$disconnect()]);
  }
}

/** Inserts a catalogue item directly (no INVENTORY_ITEM_CREATED event, so no consumer reacts to it). */
export async function createTestItem(
  inventoryDb: InventoryDb,
  productId: string,
  availableQuantity: number,
  unitPrice = '10.00',
) {
  return inventoryDb.inventoryItem.create({
    data: {
      productId,
      productName: `Test item ${productId}`,
      availableQuantity,
      unitPrice: new InventoryPrisma.Decimal(unitPrice),
      minStockLevel: 0,
      reorderQuantity: 0,
    },
  });
}

interface StockLevels {
  available: number;
  reserved: number;
  sold: number;
}

export async function stockOf(inventoryDb: InventoryDb, productId: string): Promise<StockLevels> {
  const item = await inventoryDb.inventoryItem.findUniqueOrThrow({ where: { productId } });
  return { available: item.availableQuantity, reserved: item.reservedQuantity, sold: item.soldQuantity };
}

/**
 * A real PENDING order row (with items, ORDER_CREATED and its audit row) as written by the saga's
 * first step, with no saga to carry it. The products must exist in inventory.
 */
export async function createPendingOrder(
  dbs: TestDbs,
  customerId: string,
  items: { productId: string; quantity: number }[],
): Promise<Order> {
  return writePendingOrder(dbs, {
    customerId,
    items,
    address: { streetAddress: '1 Test Street', city: 'Testville', postalCode: '00000', country: 'US' },
  });
}

/** The inventory outbox rows for one aggregate (an order id for reservation events), oldest first. */
export function inventoryOutbox(inventoryDb: InventoryDb, aggregateId: string, type?: string) {
  return inventoryDb.outboxEvent.findMany({
    where: { aggregateId, ...(type ? { type } : {}) },
    orderBy: { occurredAt: 'asc' },
  });
}

/** The orders outbox rows for one aggregate (an order id), oldest first. */
export function ordersOutbox(ordersDb: OrdersDb, aggregateId: string, type?: string) {
  return ordersDb.outboxEvent.findMany({
    where: { aggregateId, ...(type ? { type } : {}) },
    orderBy: { occurredAt: 'asc' },
  });
}

/** The audit rows (order_events) of one order, oldest first. */
export function orderEvents(ordersDb: OrdersDb, orderId: string) {
  return ordersDb.orderEvent.findMany({ where: { orderId }, orderBy: { occurredAt: 'asc' } });
}
