import type { InventoryDb, InventoryTx } from '../../domain/inventory/db';
import type { OrdersDb, OrdersTx } from '../../domain/orders/db';

type Tx = OrdersTx | InventoryTx;

/**
 * Applies an effect at most once per (consumer, event id): the processed_events row is written in
 * the same transaction as the effect, so after a crash either both happened or neither did, and a
 * redelivery finds the row and does nothing. Returns false for a duplicate.
 */
export async function applyOnce<D extends OrdersDb | InventoryDb>(
  db: D,
  consumer: string,
  eventId: string,
  effect: (tx: D extends OrdersDb ? OrdersTx : InventoryTx) => Promise<void>,
): Promise<boolean> {
  const run = (db as OrdersDb).$transaction.bind(db as OrdersDb) as unknown as <T>(
    work: (tx: Tx) => Promise<T>,
  ) => Promise<T>;
  return run(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO processed_events (consumer, event_id) VALUES (${consumer}, ${eventId})
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) return false;
    await effect(tx as D extends OrdersDb ? OrdersTx : InventoryTx);
    return true;
  });
}

/** Whether `consumer` already recorded `eventId` (for effects outside any transaction, like a signal). */
export async function alreadyProcessed(db: OrdersDb, consumer: string, eventId: string): Promise<boolean> {
  const found = await db.processedEvent.findUnique({
    where: { consumer_eventId: { consumer, eventId } },
    select: { eventId: true },
  });
  return found !== null;
}

/** Records `eventId` as handled by `consumer`, in a transaction of its own (no effect inside). */
export async function markProcessed(db: OrdersDb, consumer: string, eventId: string): Promise<void> {
  await applyOnce(db, consumer, eventId, async () => {});
}
