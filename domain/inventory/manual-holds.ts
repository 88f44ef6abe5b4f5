import { randomUUID } from 'node:crypto';
import type { InventoryDb, InventoryReservation } from './db';
import { InsufficientStockError, reserveStock, UnknownProductError } from './stock';

/*
 * Manual stock holds (POST /api/inventory/reservations): one product, one quantity, an expiry, and
 * an optional hold key that makes the hold idempotent. The maintenance schedule releases a hold
 * when it expires (expireReservations in ./stock.ts).
 *
 * A hold is owned by `manual-<key>` (or `manual-<uuid>`), never by an order id: order ids are
 * UUIDs, so no hold can pass for an order's reservation, and an order's saga committing or
 * releasing its stock can never touch a hold.
 */

/** The prefix of every manual hold's owner key. */
export const MANUAL_HOLD_PREFIX = 'manual-';

export const manualHoldOwner = (holdKey: string) => `${MANUAL_HOLD_PREFIX}${holdKey}`;

/** The hold key already holds stock, and not exactly this hold. */
export class HoldConflictError extends Error {
  constructor(readonly holdKey: string) {
    super(`holdKey ${holdKey} already holds a different reservation`);
    this.name = 'HoldConflictError';
  }
}

export interface ManualHold {
  productId: string;
  quantity: number;
  /** Makes the hold idempotent; without one the hold is owned by its own `manual-<uuid>`. */
  holdKey?: string;
  expiresAt: Date;
}

export interface PlacedHold {
  reservation: InventoryReservation;
  /** False when the same hold under the same key was placed before: nothing was written. */
  created: boolean;
}

/**
 * Places a hold. The same hold again under its key returns the first one; a different hold under
 * a key already in use is a HoldConflictError. An unknown product is an
 * UnknownProductError, too little free stock an InsufficientStockError.
 */
export async function placeManualHold(
  db: InventoryDb,
  hold: ManualHold,
  traceparent?: string,
): Promise<PlacedHold> {
  const orderId = manualHoldOwner(hold.holdKey ?? randomUUID());

  // reserveStock is idempotent per owner key but does not compare what is held with what is asked.
  if (hold.holdKey !== undefined) {
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
      throw new HoldConflictError(hold.holdKey);
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
