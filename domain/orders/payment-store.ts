import type { PaymentChangedPayload } from '../../events/payloads';
import type { PaymentStatus } from '../../prisma/generated/orders/client';
import { AggregateType, EventType, outboxEntry } from '../events';
import type { OrdersDb } from './db';
import { writeOrdersOutbox } from './order-store';

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

/** Where a payment may go next; anything else is an older answer arriving late. */
const NEXT_PAYMENT_STATUSES: Record<PaymentStatus, readonly PaymentStatus[]> = {
  AUTHORIZED: ['CAPTURED', 'VOIDED'],
  CAPTURED: ['REFUNDED'],
  VOIDED: [],
  REFUNDED: [],
  DECLINED: [],
};

/**
 * Mirrors the provider's view of an order's payment in our database, with an outbox event when the
 * status moves forward. Recording the status the row already has, or one it has moved past, writes
 * nothing.
 */
export async function recordPayment(db: OrdersDb, record: PaymentRecord): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const existing = await tx.payment.findUnique({ where: { orderId: record.orderId } });
    if (existing && !NEXT_PAYMENT_STATUSES[existing.status].includes(record.status)) return false;
    if (existing) {
      await tx.payment.update({
        where: { id: existing.id },
        data: {
          status: record.status,
          providerReference: record.providerReference ?? existing.providerReference,
          version: { increment: 1 },
        },
      });
    } else {
      await tx.payment.create({
        data: {
          orderId: record.orderId,
          idempotencyKey: record.idempotencyKey,
          status: record.status,
          amount: record.amount,
          providerReference: record.providerReference ?? null,
        },
      });
    }
    await writeOrdersOutbox(
      tx,
      outboxEntry(
        AggregateType.payments,
        record.orderId,
        EVENT_FOR_PAYMENT[record.status],
        {
          orderId: record.orderId,
          status: record.status,
          previousStatus: existing?.status ?? null,
          amount: record.amount,
          currency: record.currency,
          providerReference: record.providerReference ?? existing?.providerReference ?? null,
        } satisfies PaymentChangedPayload,
        record.traceparent,
      ),
    );
    return true;
  });
}
