import type {
  InventoryCommittedPayload,
  InventoryReleasedPayload,
  InventoryReservationExpiredPayload,
  InventoryReservationFailedPayload,
  InventoryReservedPayload,
  StockLinePayload,
} from '../../events/payloads';
import { randomUUID } from 'node:crypto';
import { AggregateType, CURRENT_SCHEMA_VERSION, EventType, outboxEntry, type OutboxEntry } from '../events';
import { column, jsonbPayload, sql } from '../payload-sql';
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

/** What the one-statement reserve saw: the rows it locked, and the reservations already there. */
type ReserveOutcome = {
  held: boolean;
  existing: string[] | null;
  stock: { productId: string; enough: boolean }[] | null;
};

/**
 * Holds stock for an order in one statement: it locks the order's item rows (in product order, so
 * concurrent reservations cannot deadlock one another; one against a multi-product commit, which
 * locks in join order, is broken by Postgres and the step retried), checks every line, and only if all fit decrements them and
 * writes the reservations and INVENTORY_RESERVED. A hot item's row lock is held for that one
 * statement and its commit, not across round trips of an interactive transaction, so orders for the
 * same product queue behind each other as briefly as Postgres allows. Concurrent orders can never
 * oversell (the decrement is guarded and the CHECK constraints stand behind it); a second call for
 * the same order returns the first reservation instead of holding twice.
 */
export async function reserveStock(
  db: InventoryDb,
  orderId: string,
  lines: readonly StockLine[],
  options: { traceparent?: string; expiresAt?: Date } = {},
): Promise<string[]> {
  const normalised = normaliseLines(lines);
  const wanted = normalised.map((line) => ({ ...line, id: randomUUID() }));
  const expiresAt = options.expiresAt ?? null;
  const payload = {
    orderId,
    reservationIds: wanted.map((line) => line.id),
    items: normalised,
    expiresAt: expiresAt?.toISOString() ?? null,
  } satisfies InventoryReservedPayload;
  const [outcome] = await db.$queryRaw<ReserveOutcome[]>`
    WITH wanted AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb)
        AS w(id uuid, "productId" text, quantity int)
    ), existing AS (
      SELECT id FROM inventory_reservations WHERE order_id = ${orderId}
    ), stock AS (
      SELECT i.product_id, i.available_quantity >= w.quantity AS enough
      FROM inventory_items i JOIN wanted w ON w."productId" = i.product_id
      ORDER BY i.product_id
      FOR UPDATE OF i
    ), decision AS (
      SELECT NOT EXISTS (SELECT 1 FROM existing)
        AND (SELECT count(*) FROM stock WHERE enough) = (SELECT count(*) FROM wanted) AS held
    ), decremented AS (
      UPDATE inventory_items i
      SET available_quantity = i.available_quantity - w.quantity,
          reserved_quantity = i.reserved_quantity + w.quantity,
          version = i.version + 1,
          updated_at = now()
      FROM wanted w, decision d
      WHERE d.held AND i.product_id = w."productId"
      RETURNING i.product_id
    ), reservations AS (
      INSERT INTO inventory_reservations (id, order_id, product_id, quantity, expires_at)
      SELECT w.id, ${orderId}, w."productId", w.quantity, ${expiresAt}::timestamptz
      FROM wanted w, decision d WHERE d.held
      RETURNING id
    ), event AS (
      INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent, schema_version)
      SELECT ${AggregateType.inventory}, ${orderId}, ${EventType.InventoryReserved}, ${JSON.stringify(payload)}::jsonb,
        ${options.traceparent ?? null}, ${CURRENT_SCHEMA_VERSION}
      FROM decision d WHERE d.held
    )
    SELECT (SELECT held FROM decision) AS held,
      (SELECT array_agg(id::text ORDER BY id) FROM existing) AS existing,
      (SELECT json_agg(json_build_object('productId', product_id, 'enough', enough)) FROM stock) AS stock`;
  if (!outcome) throw new Error(`reserving stock for order ${orderId} returned no row`);
  if (outcome.held) return payload.reservationIds;
  if (outcome.existing) return outcome.existing;
  const error = refusal(normalised, outcome.stock ?? []);
  await db.outboxEvent.create({
    data: outboxEntry(
      AggregateType.inventory,
      orderId,
      EventType.InventoryReservationFailed,
      {
        orderId,
        productId: error.productId,
        reason: error.name,
        items: normalised,
      } satisfies InventoryReservationFailedPayload,
      options.traceparent,
    ) as never,
  });
  throw error;
}

/** Why a reserve held nothing: the first line whose product is unknown or short of stock. */
function refusal(
  lines: readonly StockLine[],
  stock: readonly { productId: string; enough: boolean }[],
): InsufficientStockError | UnknownProductError {
  const seen = new Map(stock.map((row) => [row.productId, row.enough]));
  for (const line of lines) {
    const enough = seen.get(line.productId);
    if (enough === undefined) return new UnknownProductError(line.productId);
    if (!enough) return new InsufficientStockError(line.productId, line.quantity);
  }
  throw new Error('reserve held nothing although every line had stock');
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

/**
 * Turns an order's held stock into sold stock once payment is captured, in one statement (like
 * reserving: the hot item row is locked only for that statement). Repeatable: only ACTIVE
 * reservations are claimed, so a second call changes nothing and writes no event.
 */
export async function commitStock(db: InventoryDb, orderId: string, traceparent?: string): Promise<number> {
  const committed = await db.$queryRaw<InventoryCommittedPayload['items']>`
    WITH claimed AS (
      UPDATE inventory_reservations
      SET status = 'COMMITTED', expires_at = NULL, version = version + 1, updated_at = now()
      WHERE order_id = ${orderId} AND status = 'ACTIVE'
      RETURNING product_id, quantity
    ), sold AS (
      UPDATE inventory_items i
      SET reserved_quantity = i.reserved_quantity - c.quantity,
          sold_quantity = i.sold_quantity + c.quantity,
          version = i.version + 1,
          updated_at = now()
      FROM claimed c WHERE i.product_id = c.product_id
    ), event AS (
      INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent, schema_version)
      SELECT ${AggregateType.inventory}, ${orderId}, ${EventType.InventoryCommitted},
        ${jsonbPayload<InventoryCommittedPayload>({
          orderId: sql`${orderId}::text`,
          items: sql`jsonb_agg(${jsonbPayload<StockLinePayload>({
            productId: column('product_id'),
            quantity: column('quantity'),
          })} ORDER BY product_id)`,
        })},
        ${traceparent ?? null}, ${CURRENT_SCHEMA_VERSION}
      FROM claimed HAVING count(*) > 0
    )
    SELECT product_id AS "productId", quantity FROM claimed ORDER BY product_id`;
  return committed.length;
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
