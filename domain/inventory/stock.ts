import type {
  InventoryCommittedPayload,
  InventoryReleasedPayload,
  InventoryReservationExpiredPayload,
  InventoryReservationFailedPayload,
  InventoryReservedPayload,
} from '../../events/payloads';
import { AggregateType, EventType, outboxEntry, type OutboxEntry } from '../events';
import type { InventoryDb, InventoryTx } from './db';

// A type alias, not an interface, so lines can be embedded in JSON event payloads as they are.
export type StockLine = {
  productId: string;
  quantity: number;
};

export class InsufficientStockError extends Error {
  override readonly name = 'InsufficientStockError';

  /** `available` when the caller looked before trying (a manual hold), so the message can say it. */
  constructor(
    readonly productId: string,
    readonly requested: number,
    readonly available?: number,
  ) {
    super(
      available === undefined
        ? `insufficient stock for ${productId} (requested ${requested})`
        : `insufficient stock for ${productId}: requested ${requested}, available ${available}`,
    );
  }
}

export class UnknownProductError extends Error {
  override readonly name = 'UnknownProductError';

  constructor(readonly productId: string) {
    super(`unknown product ${productId}`);
  }
}

/** Writes an inventory outbox row inside the caller's transaction. */
export async function writeInventoryOutbox(tx: InventoryTx, entry: OutboxEntry) {
  await tx.outboxEvent.create({ data: { ...entry, payload: entry.payload } });
}

/** Same product twice in one order is one line; sorted so concurrent reservations lock rows in one order. */
export function normaliseLines(lines: readonly StockLine[]): StockLine[] {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => ({ productId, quantity }));
}

/**
 * Holds stock for an order. Each decrement is one conditional UPDATE (available >= wanted), so
 * concurrent orders can never oversell; a second call for the same order returns the first
 * reservation instead of holding twice.
 */
export async function reserveStock(
  db: InventoryDb,
  orderId: string,
  lines: readonly StockLine[],
  options: { traceparent?: string; expiresAt?: Date } = {},
): Promise<string[]> {
  try {
    return await db.$transaction(async (tx) => {
      const existing = await tx.inventoryReservation.findMany({ where: { orderId }, select: { id: true } });
      if (existing.length > 0) return existing.map((r) => r.id);
      const ids: string[] = [];
      const normalised = normaliseLines(lines);
      for (const line of normalised) {
        const held = await tx.inventoryItem.updateMany({
          where: { productId: line.productId, availableQuantity: { gte: line.quantity } },
          data: {
            availableQuantity: { decrement: line.quantity },
            reservedQuantity: { increment: line.quantity },
            version: { increment: 1 },
          },
        });
        if (held.count === 0) {
          const known = await tx.inventoryItem.count({ where: { productId: line.productId } });
          if (known === 0) throw new UnknownProductError(line.productId);
          throw new InsufficientStockError(line.productId, line.quantity);
        }
        const reservation = await tx.inventoryReservation.create({
          data: {
            orderId,
            productId: line.productId,
            quantity: line.quantity,
            expiresAt: options.expiresAt ?? null,
          },
        });
        ids.push(reservation.id);
      }
      await writeInventoryOutbox(
        tx,
        outboxEntry(
          AggregateType.inventory,
          orderId,
          EventType.InventoryReserved,
          {
            orderId,
            reservationIds: ids,
            items: normalised,
            expiresAt: options.expiresAt?.toISOString() ?? null,
          } satisfies InventoryReservedPayload,
          options.traceparent,
        ),
      );
      return ids;
    });
  } catch (error) {
    if (error instanceof InsufficientStockError || error instanceof UnknownProductError) {
      await db.outboxEvent.create({
        data: outboxEntry(
          AggregateType.inventory,
          orderId,
          EventType.InventoryReservationFailed,
          {
            orderId,
            productId: error.productId,
            reason: error.name,
            items: normaliseLines(lines),
          } satisfies InventoryReservationFailedPayload,
          options.traceparent,
        ) as never,
      });
    }
    throw error;
  }
}

/**
 * Gives an order's stock back: held stock returns from reserved, committed (sold) stock from sold.
 * Rows already released or expired are left alone, so a repeated release changes nothing.
 */
export async function releaseStock(
  db: InventoryDb,
  orderId: string,
  options: { traceparent?: string; expiredBy?: Date } = {},
): Promise<number> {
  const finalStatus = options.expiredBy ? 'EXPIRED' : 'RELEASED';
  return db.$transaction(async (tx) => {
    const open = await tx.inventoryReservation.findMany({
      // Expiry only ever touches holds still ACTIVE and due: stock sold meanwhile stays sold.
      where: options.expiredBy
        ? { orderId, status: 'ACTIVE', expiresAt: { lte: options.expiredBy } }
        : { orderId, status: { in: ['ACTIVE', 'COMMITTED'] } },
      orderBy: { productId: 'asc' },
    });
    const released: InventoryReleasedPayload['items'] = [];
    for (const reservation of open) {
      const claimed = await tx.inventoryReservation.updateMany({
        where: { id: reservation.id, status: reservation.status },
        data: { status: finalStatus, version: { increment: 1 } },
      });
      if (claimed.count === 0) continue;
      const fromSold = reservation.status === 'COMMITTED';
      await tx.inventoryItem.update({
        where: { productId: reservation.productId },
        data: {
          availableQuantity: { increment: reservation.quantity },
          ...(fromSold
            ? { soldQuantity: { decrement: reservation.quantity } }
            : { reservedQuantity: { decrement: reservation.quantity } }),
          version: { increment: 1 },
        },
      });
      released.push({
        productId: reservation.productId,
        quantity: reservation.quantity,
        from: fromSold ? 'COMMITTED' : 'ACTIVE',
      });
    }
    if (released.length > 0) {
      const event = options.expiredBy
        ? {
            type: EventType.ReservationExpired,
            // Expiry claims ACTIVE holds only (the query above).
            payload: {
              orderId,
              items: released.map((line) => ({ ...line, from: 'ACTIVE' as const })),
            } satisfies InventoryReservationExpiredPayload,
          }
        : {
            type: EventType.InventoryReleased,
            payload: { orderId, items: released } satisfies InventoryReleasedPayload,
          };
      await writeInventoryOutbox(
        tx,
        outboxEntry(AggregateType.inventory, orderId, event.type, event.payload, options.traceparent),
      );
    }
    return released.length;
  });
}

/** Turns an order's held stock into sold stock once payment is captured. Repeatable. */
export async function commitStock(db: InventoryDb, orderId: string, traceparent?: string): Promise<number> {
  return db.$transaction(async (tx) => {
    const active = await tx.inventoryReservation.findMany({ where: { orderId, status: 'ACTIVE' } });
    const committed: InventoryCommittedPayload['items'] = [];
    for (const reservation of active) {
      const claimed = await tx.inventoryReservation.updateMany({
        where: { id: reservation.id, status: 'ACTIVE' },
        data: { status: 'COMMITTED', expiresAt: null, version: { increment: 1 } },
      });
      if (claimed.count === 0) continue;
      await tx.inventoryItem.update({
        where: { productId: reservation.productId },
        data: {
          reservedQuantity: { decrement: reservation.quantity },
          soldQuantity: { increment: reservation.quantity },
          version: { increment: 1 },
        },
      });
      committed.push({ productId: reservation.productId, quantity: reservation.quantity });
    }
    if (committed.length > 0) {
      await writeInventoryOutbox(
        tx,
        outboxEntry(
          AggregateType.inventory,
          orderId,
          EventType.InventoryCommitted,
          { orderId, items: committed } satisfies InventoryCommittedPayload,
          traceparent,
        ),
      );
    }
    return committed.length;
  });
}

/** Releases manual holds whose time is up; returns the order ids (hold ids) it expired. */
export async function expireReservations(db: InventoryDb, now: Date, limit = 500): Promise<string[]> {
  const due = await db.inventoryReservation.findMany({
    where: { status: 'ACTIVE', expiresAt: { lte: now } },
    select: { orderId: true },
    distinct: ['orderId'],
    take: limit,
  });
  const expired: string[] = [];
  for (const { orderId } of due) {
    if ((await releaseStock(db, orderId, { expiredBy: now })) > 0) expired.push(orderId);
  }
  return expired;
}
