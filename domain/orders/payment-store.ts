import type { PaymentStatus } from '../../prisma/generated/orders/client';
import { AggregateType, CURRENT_SCHEMA_VERSION, EventType } from '../events';
import type { PaymentChangedPayload } from '../../events/payloads';
import { column, jsonbPayload, sql } from '../payload-sql';
import type { OrdersDb } from './db';

/**
 * The event each payment status writes. Its payload (PaymentChangedPayload, events/payloads.ts) is
 * built by recordPayment's statement and checked against the committed JSON Schemas by
 * test/events/schemas.test.ts and by every consumer.
 */
const EVENT_FOR_PAYMENT: Record<PaymentStatus, EventType> = {
  AUTHORIZED: EventType.PaymentAuthorized,
  DECLINED: EventType.PaymentDeclined,
  CAPTURED: EventType.PaymentCaptured,
  VOIDED: EventType.PaymentVoided,
  REFUNDED: EventType.PaymentRefunded,
};

export interface PaymentRecord {
  orderId: string;
  idempotencyKey: string;
  status: PaymentStatus;
  amount: string;
  currency: string;
  providerReference?: string;
  traceparent?: string;
}

const PAYMENT_STATUSES = Object.keys(EVENT_FOR_PAYMENT) as PaymentStatus[];

/**
 * Where a payment may go next; anything else is an older answer arriving late. AUTHORIZED may jump
 * to REFUNDED: a capture whose record was lost (the database was down) is refunded by the
 * compensation, and the row must say so rather than stay AUTHORIZED (found by the fault suite).
 */
const NEXT_PAYMENT_STATUSES: Record<PaymentStatus, readonly PaymentStatus[]> = {
  AUTHORIZED: ['CAPTURED', 'VOIDED', 'REFUNDED'],
  CAPTURED: ['REFUNDED'],
  VOIDED: [],
  REFUNDED: [],
  DECLINED: [],
};

/**
 * Mirrors the provider's view of an order's payment in our database, with an outbox event when the
 * status moves forward, in one statement (the payment row is locked for that statement only).
 * Recording the status the row already has, or one it has moved past, writes nothing.
 */
export async function recordPayment(db: OrdersDb, record: PaymentRecord): Promise<boolean> {
  const movableFrom = PAYMENT_STATUSES.filter((from) => NEXT_PAYMENT_STATUSES[from].includes(record.status));
  const reference = record.providerReference ?? null;
  const [outcome] = await db.$queryRaw<{ changed: boolean }[]>`
    WITH existing AS (
      SELECT id, status, provider_reference FROM payments WHERE order_id = ${record.orderId}::uuid FOR UPDATE
    ), updated AS (
      UPDATE payments p
      SET status = ${record.status}::payment_status,
          provider_reference = COALESCE(${reference}, p.provider_reference),
          version = p.version + 1,
          updated_at = now()
      FROM existing e
      WHERE p.id = e.id AND e.status::text = ANY(${movableFrom}::text[])
      RETURNING p.provider_reference, e.status::text AS previous_status
    ), inserted AS (
      INSERT INTO payments (order_id, idempotency_key, status, amount, provider_reference)
      SELECT ${record.orderId}::uuid, ${record.idempotencyKey}, ${record.status}::payment_status,
        ${record.amount}::numeric, ${reference}
      WHERE NOT EXISTS (SELECT 1 FROM existing)
      ON CONFLICT DO NOTHING
      RETURNING provider_reference, NULL::text AS previous_status
    ), changed AS (
      SELECT * FROM updated UNION ALL SELECT * FROM inserted
    ), event AS (
      INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent, schema_version)
      SELECT ${AggregateType.payments}, ${record.orderId}, ${EVENT_FOR_PAYMENT[record.status]},
        ${jsonbPayload<PaymentChangedPayload>({
          orderId: sql`${record.orderId}::text`,
          status: sql`${record.status}::text`,
          previousStatus: column('previous_status'),
          amount: sql`${record.amount}::text`,
          currency: sql`${record.currency}::text`,
          providerReference: column('provider_reference'),
        })},
        ${record.traceparent ?? null}, ${CURRENT_SCHEMA_VERSION}
      FROM changed
    )
    SELECT EXISTS (SELECT 1 FROM changed) AS changed`;
  return outcome?.changed ?? false;
}
