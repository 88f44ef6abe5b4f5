import { randomUUID } from 'node:crypto';
import type { InventoryDb, InventoryReservation } from './db';
import { InsufficientStockError, reserveStock, UnknownProductError } from './stock';

/*
 * Manual stock holds (POST /api/inventory/reservations): one product, one quantity, an expiry, and
 * an optional order id that makes the hold idempotent. The maintenance schedule releases a hold
 * when it expires (expireReservations in ./stock.ts).
 */

/** The order id already holds stock, and not exactly this hold. */
export class HoldConflictError extends Error {
  constructor(readonly orderId: string) {
    super(`orderId ${orderId} already holds different reservations`);
    this.name = 'HoldConflictError';
  }
}

export interface ManualHold {
  productId: string;
  quantity: number;
  /** Without one the hold gets its own `manual-<uuid>` id. */
  orderId?: string;
  expiresAt: Date;
}

export interface PlacedHold {
  reservation: InventoryReservation;
  /** False when the same hold under the same order id was placed before: nothing was written. */
  created: boolean;
}

/**
 * Places a hold. The same hold again under its order id returns the first one; a different hold
 * under an order id already in use is a HoldConflictError. An unknown product is an
 * UnknownProductError, too little free stock an InsufficientStockError.
 */
export async function placeManualHold(
  db: InventoryDb,
  hold: ManualHold,
  traceparent?: string,
): Promise<PlacedHold> {
  const orderId = hold.orderId ?? `manual-${randomUUID()}`;

  // reserveStock is idempotent per order id but does not compare what is held with what is asked.
  if (hold.orderId !== undefined) {
    const existing = await db.inventoryReservation.findMany({ where: { orderId } });
    if (existing.length > 0) {
      const [first] = existing;
      if (
        existing.length === 1 &&
        first &&
        first.productId === hold.productId &&
        first.quantity === hold.quantity
      ) {
        return { reservation: first, created: false };
      }
      throw new HoldConflictError(orderId);
    }
  }

  // Checked up front so a plainly refused hold writes nothing (reserveStock records a
  // RESERVATION_FAILED event when it refuses); reserveStock re-checks atomically.
  const item = await db.inventoryItem.findUnique({
    where: { productId: hold.productId },
    select: { availableQuantity: true },
  });
  if (!item) throw new UnknownProductError(hold.productId);
  if (item.availableQuantity < hold.quantity) {
    throw new InsufficientStockError(hold.productId, hold.quantity, item.availableQuantity);
  }

  const [id] = await reserveStock(db, orderId, [{ productId: hold.productId, quantity: hold.quantity }], {
    expiresAt: hold.expiresAt,
    traceparent,
  });
  if (id === undefined) throw new Error(`reserveStock returned no reservation for ${orderId}`);
  const reservation = await db.inventoryReservation.findUniqueOrThrow({ where: { id } });
  return { reservation, created: true };
}
