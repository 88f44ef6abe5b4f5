import type { InventoryDb } from '../../domain/inventory/db';
import type { OrdersDb } from '../../domain/orders/db';
import { OUTBOX_ROW_COLUMNS, type OutboxContext, type OutboxRow } from './outbox-wire';

/** Both contexts' databases: each has an `outbox` table of the same shape. */
export interface RelayDbs {
  orders: OrdersDb;
  inventory: InventoryDb;
}

/** The raw-SQL surface of a Prisma client (either context) that the relay needs. */
export interface RawTx {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}
export interface RawDb extends RawTx {
  $transaction<T>(
    work: (tx: RawTx) => Promise<T>,
    options?: { maxWait?: number; timeout?: number },
  ): Promise<T>;
}

/** One context's database, seen through the raw-SQL surface both Prisma clients share. */
export const rawDb = (dbs: RelayDbs, context: OutboxContext): RawDb => dbs[context];

/**
 * One relay publishes a database's outbox at a time (a transaction-scoped advisory lock): rows go
 * out in (occurred_at, id) order, so one aggregate's events keep their order on its partition even
 * with several consumers processes running the relay.
 */
export const RELAY_LOCK_SQL = `SELECT pg_try_advisory_xact_lock(hashtext('trackops-outbox-relay')) AS "locked"`;
export const RELAY_LOCK_WAIT_SQL = `SELECT pg_advisory_xact_lock(hashtext('trackops-outbox-relay'))::text AS "locked"`;

/** Publishing holds row locks while Kafka acknowledges; generous, since a batch is one request. */
export const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 60_000 };

/** Outbox rows of one context: `SELECT <columns> FROM outbox WHERE <where> <tail>`. */
export async function selectOutboxRows(
  tx: RawTx,
  context: OutboxContext,
  where: string,
  tail: string,
  ...values: unknown[]
): Promise<OutboxRow[]> {
  const rows = await tx.$queryRawUnsafe<Omit<OutboxRow, 'context'>[]>(
    `SELECT ${OUTBOX_ROW_COLUMNS} FROM outbox WHERE ${where} ${tail}`,
    ...values,
  );
  return rows.map((row): OutboxRow => ({ ...row, context }));
}

export async function markPublished(tx: RawTx, rows: OutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    'UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])',
    rows.map((r) => r.id),
  );
}
