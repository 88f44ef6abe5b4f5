import { canMove, type CancellationReason, type OrderStatus } from '../../workflows/contract';
import type { EventOf, OrderShipmentSlaBreachedPayload, OrderStatusChangeBase } from '../../events/payloads';
import { AggregateType, EventType, outboxEntry, type OutboxEntry } from '../events';
import type { OrdersDb, OrdersTx } from './db';

export class OrderNotFoundError extends Error {
  constructor(readonly orderId: string) {
    super(`order ${orderId} not found`);
    this.name = 'OrderNotFoundError';
  }
}

export async function writeOrdersOutbox(tx: OrdersTx, entry: OutboxEntry) {
  await tx.outboxEvent.create({ data: { ...entry, payload: entry.payload } });
}

type StatusEvent = EventOf<
  | typeof EventType.OrderConfirmed
  | typeof EventType.OrderCancelled
  | typeof EventType.OrderDelivered
  | typeof EventType.OrderStatusUpdated
>;

/** The event a move to `status` writes: its own for CONFIRMED, CANCELLED, DELIVERED. */
function statusEvent(change: OrderStatusChangeBase, status: OrderStatus): StatusEvent {
  switch (status) {
    case 'CONFIRMED':
      return { type: EventType.OrderConfirmed, payload: { ...change, status } };
    case 'CANCELLED':
      return { type: EventType.OrderCancelled, payload: { ...change, status } };
    case 'DELIVERED':
      return { type: EventType.OrderDelivered, payload: { ...change, status } };
    case 'PROCESSING':
    case 'SHIPPED':
      return { type: EventType.OrderStatusUpdated, payload: { ...change, status } };
    case 'PENDING':
      throw new Error('no order moves to PENDING');
  }
}

export interface StatusChange {
  orderId: string;
  status: OrderStatus;
  reason?: CancellationReason;
  detail?: string;
  source?: string;
  traceparent?: string;
}

/**
 * Moves an order to a status, with its audit row and outbox event in the same transaction.
 * Recording the status an order already has, or one it has moved past, is a no-op, which makes a
 * retried (or late) activity harmless. Returns false when nothing changed.
 */
export async function recordOrderStatus(db: OrdersDb, change: StatusChange): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const order = await tx.order.findUnique({ where: { id: change.orderId } });
    if (!order) throw new OrderNotFoundError(change.orderId);
    // Only forward moves: a late attempt of an earlier step (Temporal does not stop an attempt that
    // outlived its timeout) must not drag the order back, nor repeat its event.
    if (!canMove(order.status, change.status)) return false;
    const updated = await tx.order.updateMany({
      where: { id: order.id, version: order.version },
      data: {
        status: change.status,
        version: { increment: 1 },
        ...(change.status === 'CANCELLED' ? { cancellationReason: change.reason ?? null } : {}),
      },
    });
    // The saga is the only writer of an order's status, so a lost race means a retry overlapped.
    if (updated.count === 0) throw new Error(`order ${order.id} changed concurrently; retrying`);
    await tx.orderEvent.create({
      data: {
        orderId: order.id,
        fromStatus: order.status,
        toStatus: change.status,
        reason: change.reason ?? null,
        details: { source: change.source ?? 'saga', ...(change.detail ? { detail: change.detail } : {}) },
      },
    });
    const event = statusEvent(
      {
        orderId: order.id,
        customerId: order.customerId,
        previousStatus: order.status,
        version: order.version + 1,
        ...(change.reason ? { reason: change.reason } : {}),
      },
      change.status,
    );
    await writeOrdersOutbox(
      tx,
      outboxEntry(AggregateType.orders, order.id, event.type, event.payload, change.traceparent),
    );
    return true;
  });
}

/** Records a late shipment once per order: an audit row and an alert event, the order untouched. */
export async function recordShipmentSlaBreach(
  db: OrdersDb,
  orderId: string,
  sla: string,
  traceparent?: string,
) {
  await db.$transaction(async (tx) => {
    // Row lock: two overlapping attempts must not both see "no breach recorded yet".
    await tx.$queryRaw`SELECT id FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
    const order = await tx.order.findUnique({ where: { id: orderId } });
    if (!order) throw new OrderNotFoundError(orderId);
    const already = await tx.orderEvent.count({ where: { orderId, reason: 'SHIPMENT_SLA_BREACHED' } });
    if (already > 0) return;
    await tx.orderEvent.create({
      data: {
        orderId,
        fromStatus: order.status,
        toStatus: order.status,
        reason: 'SHIPMENT_SLA_BREACHED',
        details: { sla },
      },
    });
    await writeOrdersOutbox(
      tx,
      outboxEntry(
        AggregateType.orders,
        orderId,
        EventType.OrderShipmentSlaBreached,
        {
          orderId,
          customerId: order.customerId,
          status: order.status,
          sla,
        } satisfies OrderShipmentSlaBreachedPayload,
        traceparent,
      ),
    );
  });
}
