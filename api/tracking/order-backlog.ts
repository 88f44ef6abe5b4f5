import type { InventoryDb } from '../../domain/inventory/db';
import type { OrdersDb } from '../../domain/orders/db';
import { trackingEvent, type TrackingEvent } from './tracking-event';

interface OutboxRowText {
  id: string;
  type: string;
  occurredAt: string;
  payload: unknown;
}

const ROW_LIMIT = 200;

/**
 * Everything the outbox tables of both contexts still hold for one order (they keep OUTBOX_RETENTION),
 * oldest first: the same events Kafka carries, read once when a client connects so that nothing
 * that happened before its live subscription is missed.
 */
export async function orderBacklog(
  ordersDb: OrdersDb,
  inventoryDb: InventoryDb,
  orderId: string,
): Promise<TrackingEvent[]> {
  const [orderRows, inventoryRows] = await Promise.all([
    ordersDb.$queryRaw<OutboxRowText[]>`
      SELECT id::text AS "id", type AS "type", payload AS "payload",
             to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "occurredAt"
      FROM outbox WHERE payload->>'orderId' = ${orderId}
      ORDER BY occurred_at, id LIMIT ${ROW_LIMIT}`,
    inventoryDb.$queryRaw<OutboxRowText[]>`
      SELECT id::text AS "id", type AS "type", payload AS "payload",
             to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "occurredAt"
      FROM outbox WHERE payload->>'orderId' = ${orderId}
      ORDER BY occurred_at, id LIMIT ${ROW_LIMIT}`,
  ]);
  return [...orderRows, ...inventoryRows]
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id))
    .map((row) => trackingEvent(row.id, row.type, row.occurredAt, row.payload));
}
