import { ledgerByOrder } from '../orders-e2e';
import type { RunOrder } from './sagas';
import { violation, type InvariantClients, type Violation } from './scope';

const CONFIRMED_OR_LATER = new Set(['CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED']);

/**
 * Every capture belongs to a confirmed (or later) order, every refund or void to a cancelled one,
 * never both kept for one order, and no order is charged twice: in the orders database and in the
 * (simulated) provider's own ledger.
 */
export async function checkPayments(
  { ordersDb, redis }: InvariantClients,
  orders: readonly RunOrder[],
): Promise<Violation[]> {
  const found: Violation[] = [];
  const statusOf = new Map(orders.map((o) => [o.id, o.status]));
  const payments = await ordersDb.payment.findMany({
    where: { orderId: { in: orders.map((o) => o.id) } },
    select: { orderId: true, status: true },
  });
  for (const payment of payments) {
    const order = statusOf.get(payment.orderId) ?? 'none';
    const fits =
      payment.status === 'CAPTURED'
        ? CONFIRMED_OR_LATER.has(order)
        : payment.status === 'REFUNDED' || payment.status === 'VOIDED'
          ? order === 'CANCELLED'
          : payment.status === 'DECLINED'
            ? order === 'CANCELLED'
            : order === 'PENDING';
    if (!fits) found.push(violation('payment matches its order', { ...payment, order }));
  }
  const ledger = await ledgerByOrder(
    redis,
    orders.map((o) => o.id),
  );
  for (const [orderId, entries] of ledger) {
    const order = statusOf.get(orderId) ?? 'none';
    const charged = entries.filter((e) => e.captures > 0);
    if (charged.length > 1 || entries.some((e) => e.captures > 1 || e.refunds > 1)) {
      found.push(violation('no order charged twice', { orderId, entries }));
    }
    for (const entry of entries) {
      const kept = entry.captures > entry.refunds;
      if (kept && !CONFIRMED_OR_LATER.has(order)) {
        found.push(violation('a kept capture belongs to a confirmed order', { orderId, order, entry }));
      }
      if (entry.refunds > 0 && order !== 'CANCELLED') {
        found.push(violation('a refund belongs to a cancelled order', { orderId, order, entry }));
      }
      if (entry.status === 'AUTHORIZED' && (order === 'CANCELLED' || order === 'DELIVERED')) {
        found.push(violation('a settled order leaves no open authorization', { orderId, order, entry }));
      }
      if (entry.status === 'VOIDED' && order !== 'CANCELLED') {
        found.push(violation('a void belongs to a cancelled order', { orderId, order, entry }));
      }
    }
  }
  return found;
}
