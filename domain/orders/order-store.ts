import { canMove, ORDER_STATUSES, type CancellationReason, type OrderStatus } from '../../workflows/contract';
import type { OrderShipmentSlaBreachedPayload, OrderStatusChangeBase } from '../../events/payloads';
import { column, jsonbPayload, sql } from '../payload-sql';
import { AggregateType, CURRENT_SCHEMA_VERSION, EventType, outboxEntry, type OutboxEntry } from '../events';
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

type StatusEventType =
  | typeof EventType.OrderConfirmed
  | typeof EventType.OrderCancelled
  | typeof EventType.OrderDelivered
  | typeof EventType.OrderStatusUpdated;

/**
 * The event a move to `status` writes: its own for CONFIRMED, CANCELLED, DELIVERED. Its payload
 * (OrderStatusChangeBase and the status, events/payloads.ts) is built by the statement below and
 * checked against the committed JSON Schemas by test/events/schemas.test.ts and by every consumer.
 */
function statusEventType(status: OrderStatus): StatusEventType {
  switch (status) {
    case 'CONFIRMED':
      return EventType.OrderConfirmed;
    case 'CANCELLED':
      return EventType.OrderCancelled;
    case 'DELIVERED':
      return EventType.OrderDelivered;
    case 'PROCESSING':
    case 'SHIPPED':
      return EventType.OrderStatusUpdated;
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
 * Moves an order to a status, with its audit row and outbox event, in one statement: the order row
 * is locked for that statement and its commit only, not across the round trips of an interactive
 * transaction. Recording the status an order already has, or one it has moved past, is a no-op,
 * which makes a retried (or late) activity harmless. Returns false when nothing changed.
 */
export async function recordOrderStatus(db: OrdersDb, change: StatusChange): Promise<boolean> {
  // Only forward moves: a late attempt of an earlier step (Temporal does not stop an attempt that
  // outlived its timeout) must not drag the order back, nor repeat its event.
  const movableFrom = ORDER_STATUSES.filter((from) => canMove(from, change.status));
  const eventType = statusEventType(change.status);
  const reason = change.reason ?? null;
  const details = { source: change.source ?? 'saga', ...(change.detail ? { detail: change.detail } : {}) };
  const [outcome] = await db.$queryRaw<{ found: boolean; moved: boolean }[]>`
    WITH current AS (
      SELECT id, status, version, customer_id FROM orders WHERE id = ${change.orderId}::uuid FOR UPDATE
    ), moved AS (
      UPDATE orders o
      SET status = ${change.status}::order_status,
          version = c.version + 1,
          cancellation_reason = CASE WHEN ${change.status} = 'CANCELLED' THEN ${reason} ELSE o.cancellation_reason END,
          updated_at = now()
      FROM current c
      WHERE o.id = c.id AND c.status::text = ANY(${movableFrom}::text[])
      RETURNING o.id, o.customer_id, o.version, c.status AS from_status
    ), audit AS (
      INSERT INTO order_events (order_id, from_status, to_status, reason, details)
      SELECT id, from_status, ${change.status}::order_status, ${reason}, ${JSON.stringify(details)}::jsonb
      FROM moved
    ), event AS (
      INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent, schema_version)
      SELECT ${AggregateType.orders}, id::text, ${eventType},
        ${jsonbPayload<OrderStatusChangeBase & { status: OrderStatus }>({
          orderId: column('id::text'),
          customerId: column('customer_id'),
          previousStatus: column('from_status::text'),
          version: column('version'),
          status: sql`${change.status}::text`,
          ...(change.reason ? { reason: sql`${change.reason}::text` } : {}),
        })},
        ${change.traceparent ?? null}, ${CURRENT_SCHEMA_VERSION}
      FROM moved
    )
    SELECT EXISTS (SELECT 1 FROM current) AS found, EXISTS (SELECT 1 FROM moved) AS moved`;
  if (!outcome?.found) throw new OrderNotFoundError(change.orderId);
  return outcome.moved;
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
