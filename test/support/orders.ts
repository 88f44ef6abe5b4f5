/**
 * Orders made by the domain code without the HTTP layer: written directly (an order no saga will
 * carry, for suites that drive its events by hand) or placed through the saga as the API does.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Order, OrdersDb } from '../../domain/orders/db';
import type { InventoryDb } from '../../domain/inventory/db';
import { priceOrder, writeOrder, type NewOrder } from '../../domain/orders/place-order';
import { SagaClient } from '../../api/saga-client';
import { sagaInputFor } from '../../api/saga-input';

export interface OrderDbs {
  ordersDb: OrdersDb;
  inventoryDb: InventoryDb;
}

/** A PENDING order with its items, audit row and ORDER_CREATED, as the saga's first step writes it. */
export async function writePendingOrder(
  dbs: OrderDbs,
  request: NewOrder,
  traceparent?: string,
): Promise<Order> {
  const priced = await priceOrder(dbs.inventoryDb, request);
  await writeOrder(dbs.ordersDb, priced, traceparent);
  return dbs.ordersDb.order.findUniqueOrThrow({ where: { id: priced.orderId } });
}

/** An order placed as `POST /api/orders` places it: its saga (on `taskQueue`) writes it. */
export async function placeOrderThroughSaga(
  dbs: OrderDbs,
  temporal: Client,
  taskQueue: string,
  request: NewOrder,
): Promise<Order> {
  const priced = await priceOrder(dbs.inventoryDb, request);
  const input = sagaInputFor(priced, {
    paymentMethod: request.paymentMethod ?? 'tok_visa',
    shipmentSla: '48h',
    backorderTimeout: '7d',
    requestId: randomUUID(),
  });
  const placed = await new SagaClient(temporal, taskQueue).place(input, input.draft.requestId);
  if (!placed) throw new Error(`saga for order ${priced.orderId} finished before it answered`);
  return dbs.ordersDb.order.findUniqueOrThrow({ where: { id: placed.order.id } });
}
