import { inventoryItemView, type InventoryItemView } from '../domain/inventory/catalog';
import type { InventoryDb } from '../domain/inventory/db';
import { OrdersPrisma, type Order, type OrderItem, type OrdersDb } from '../domain/orders/db';
import { orderView, type OrderView } from '../domain/orders/order-view';
import type { CacheEntry } from './versioned-cache';

/*
 * What the cache holds, loaded from Postgres and shaped by the same view functions the API answers
 * with; the API's read-through and the CDC consumer's warm-up both use these, so a cached value is
 * exactly what an uncached request returns.
 */

type OrderRow = Omit<Order, 'idempotencyKey' | 'requestFingerprint'> & {
  items: {
    id: string;
    productId: string;
    productName: string;
    quantity: number;
    unitPrice: string;
    lineTotal: string;
  }[];
};

/**
 * Orders with their items, versioned by orders.version, by id (ids not found are left out). Order
 * items are written only in the transaction that creates the order and go with it (cascade), so
 * orders.version covers them too.
 *
 * One statement for any number of orders, the items aggregated in a subquery: it is the CDC
 * consumer's hot path (a warm per order change, many per batch), where Prisma's include (two
 * queries per order) cost about twice as much; and an order and its items come from one snapshot.
 * Columns are named as Prisma names them, so orderView takes the row as it takes a Prisma Order.
 */
export async function loadOrderEntries(
  ordersDb: OrdersDb,
  orderIds: readonly string[],
): Promise<Map<string, CacheEntry<OrderView>>> {
  const entries = new Map<string, CacheEntry<OrderView>>();
  if (orderIds.length === 0) return entries;
  const rows = await ordersDb.$queryRaw<OrderRow[]>`
    SELECT o.id, o.customer_id AS "customerId", o.status::text AS status, o.total_amount AS "totalAmount",
           o.currency, o.street_address AS "streetAddress", o.city, o.state, o.postal_code AS "postalCode",
           o.country, o.phone_number AS "phoneNumber", o.delivery_instructions AS "deliveryInstructions",
           o.cancellation_reason AS "cancellationReason", o.allow_backorder AS "allowBackorder",
           o.workflow_id AS "workflowId", o.version, o.created_at AS "createdAt", o.updated_at AS "updatedAt",
           COALESCE((SELECT json_agg(json_build_object(
                       'id', i.id, 'productId', i.product_id, 'productName', i.product_name,
                       'quantity', i.quantity, 'unitPrice', i.unit_price::text, 'lineTotal', i.line_total::text)
                       ORDER BY i.product_id)
                     FROM order_items i WHERE i.order_id = o.id), '[]'::json) AS items
    FROM orders o
    WHERE o.id = ANY(${[...new Set(orderIds)]}::uuid[])`;
  for (const row of rows) {
    const items: OrderItem[] = row.items.map((item) => ({
      ...item,
      orderId: row.id,
      unitPrice: new OrdersPrisma.Decimal(item.unitPrice),
      lineTotal: new OrdersPrisma.Decimal(item.lineTotal),
    }));
    const order = { ...row, idempotencyKey: null, requestFingerprint: null } as Order;
    entries.set(row.id, { version: row.version, value: orderView(order, items) });
  }
  return entries;
}

/** One order with its items (see loadOrderEntries), or undefined. */
export async function loadOrderEntry(
  ordersDb: OrdersDb,
  orderId: string,
): Promise<CacheEntry<OrderView> | undefined> {
  return (await loadOrderEntries(ordersDb, [orderId])).get(orderId);
}

/** Inventory items by product id, versioned by inventory_items.version (ids not found left out). */
export async function loadInventoryItemEntries(
  inventoryDb: InventoryDb,
  productIds: readonly string[],
): Promise<Map<string, CacheEntry<InventoryItemView>>> {
  const entries = new Map<string, CacheEntry<InventoryItemView>>();
  if (productIds.length === 0) return entries;
  const items = await inventoryDb.inventoryItem.findMany({
    where: { productId: { in: [...new Set(productIds)] } },
  });
  for (const item of items)
    entries.set(item.productId, { version: item.version, value: inventoryItemView(item) });
  return entries;
}

/** An inventory item (see loadInventoryItemEntries), or undefined. */
export async function loadInventoryItemEntry(
  inventoryDb: InventoryDb,
  productId: string,
): Promise<CacheEntry<InventoryItemView> | undefined> {
  return (await loadInventoryItemEntries(inventoryDb, [productId])).get(productId);
}
