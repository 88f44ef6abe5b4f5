import type { RunOrder } from './sagas';
import { violation, type InvariantClients, type RunScope, type Violation } from './scope';

/** Orders whose reservations may still be held: placed and not yet settled either way. */
const HOLDING = new Set(['PENDING', 'CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED']);

/**
 * No reservation without a live order, the reserved column is the sum of the live reservations,
 * and for every product starting stock + restocks = available + reserved + sold.
 */
export async function checkStock(
  { inventoryDb }: InvariantClients,
  scope: RunScope,
  orders: readonly RunOrder[],
): Promise<Violation[]> {
  const found: Violation[] = [];
  const productIds = [...scope.unitsIssued.keys()];
  const statusOf = new Map(orders.map((o) => [o.id, o.status]));
  const active = await inventoryDb.inventoryReservation.findMany({
    where: { productId: { in: productIds }, status: 'ACTIVE' },
    select: { orderId: true, productId: true, quantity: true },
  });
  for (const reservation of active) {
    const status = statusOf.get(reservation.orderId);
    if (status === undefined || !HOLDING.has(status)) {
      found.push(
        violation('no reservation without a live order', { ...reservation, order: status ?? 'none' }),
      );
    }
  }
  const items = await inventoryDb.inventoryItem.findMany({ where: { productId: { in: productIds } } });
  for (const item of items) {
    const issued = scope.unitsIssued.get(item.productId);
    const held = item.availableQuantity + item.reservedQuantity + item.soldQuantity;
    if (held !== issued) {
      found.push(
        violation('starting stock + restocks = available + reserved + sold', {
          product: item.productId,
          issued,
          available: item.availableQuantity,
          reserved: item.reservedQuantity,
          sold: item.soldQuantity,
        }),
      );
    }
    const reservedByRows = active
      .filter((r) => r.productId === item.productId)
      .reduce((sum, r) => sum + r.quantity, 0);
    if (reservedByRows !== item.reservedQuantity) {
      found.push(
        violation('reserved = live reservations', {
          product: item.productId,
          reserved: item.reservedQuantity,
          reservedByRows,
        }),
      );
    }
  }
  return found;
}
