import { Context, log } from '@temporalio/activity';
import type { InventoryDb } from '../domain/inventory/db';
import type { OrdersDb } from '../domain/orders/db';

/** Rows removed from one database's tables by one cleanup run. */
export interface TableCounts {
  outbox: number;
  processedEvents: number;
}

export interface OutboxCleanupResult {
  /** Rows older than these instants were deleted (ISO 8601). */
  outboxBefore: string;
  processedEventsBefore: string;
  orders: TableCounts;
  inventory: TableCounts;
  /** False when a table still had old rows after `maxBatches`: the next run goes on. */
  complete: boolean;
}

export interface OutboxActivities {
  cleanupOutbox(): Promise<OutboxCleanupResult>;
}

export interface OutboxCleanupOptions {
  /** OUTBOX_RETENTION in milliseconds. */
  outboxRetentionMs: number;
  /** PROCESSED_EVENTS_RETENTION in milliseconds. */
  processedEventsRetentionMs: number;
  /** Rows per DELETE: each batch is its own short transaction, so locks and WAL stay small. */
  batchSize?: number;
  /** Batches per table and run, so one run stays short; what is left waits for the next run. */
  maxBatches?: number;
  now?: () => Date;
}

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_MAX_BATCHES = 50;

type ContextDb = OrdersDb | InventoryDb;
type Table = 'outbox' | 'processed_events';

/** Inside an activity: report progress (and so learn about cancellation). Outside one: nothing. */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * One bounded DELETE. SKIP LOCKED leaves rows that another transaction holds (the fallback relay
 * publishing a row, a consumer inserting its de-duplication row) for a later run instead of
 * waiting for them.
 */
function deleteBatch(db: ContextDb, table: Table, before: Date, limit: number): Promise<number> {
  const cutoff = before.toISOString();
  const raw = db as OrdersDb;
  if (table === 'outbox') {
    return raw.$executeRaw`
      DELETE FROM outbox WHERE id IN (
        SELECT id FROM outbox
        -- Only rows known to be on Kafka: a long outage must not delete undelivered events.
        WHERE occurred_at < ${cutoff}::timestamptz AND published_at IS NOT NULL
        ORDER BY occurred_at LIMIT ${limit}::int FOR UPDATE SKIP LOCKED)`;
  }
  return raw.$executeRaw`
    DELETE FROM processed_events WHERE (consumer, event_id) IN (
      SELECT consumer, event_id FROM processed_events WHERE processed_at < ${cutoff}::timestamptz
      LIMIT ${limit}::int FOR UPDATE SKIP LOCKED)`;
}

/**
 * Housekeeping for the transactional outbox: outbox rows and consumer de-duplication rows past
 * their retention are deleted from both contexts' databases, in batches.
 *
 * Deleting an outbox row never un-publishes it: Debezium reads the insert from the WAL, and its
 * outbox connectors skip delete events (skipped.operations), so a cleanup writes nothing to Kafka.
 */
export function createOutboxActivities(
  { ordersDb, inventoryDb }: { ordersDb: OrdersDb; inventoryDb: InventoryDb },
  options: OutboxCleanupOptions,
): OutboxActivities {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const maxBatches = options.maxBatches ?? DEFAULT_MAX_BATCHES;
  const now = options.now ?? (() => new Date());

  return {
    async cleanupOutbox() {
      const at = now().getTime();
      const outboxBefore = new Date(at - options.outboxRetentionMs);
      const processedEventsBefore = new Date(at - options.processedEventsRetentionMs);
      const context = currentContext();
      let complete = true;

      const purge = async (name: string, db: ContextDb, table: Table, before: Date) => {
        let deleted = 0;
        for (let batch = 0; batch < maxBatches; batch++) {
          if (context?.cancellationSignal.aborted) break;
          const count = await deleteBatch(db, table, before, batchSize);
          deleted += count;
          context?.heartbeat({ database: name, table, deleted });
          if (count < batchSize) return deleted;
        }
        complete = false;
        return deleted;
      };

      const orders: TableCounts = {
        outbox: await purge('orders', ordersDb, 'outbox', outboxBefore),
        processedEvents: await purge('orders', ordersDb, 'processed_events', processedEventsBefore),
      };
      const inventory: TableCounts = {
        outbox: await purge('inventory', inventoryDb, 'outbox', outboxBefore),
        processedEvents: await purge('inventory', inventoryDb, 'processed_events', processedEventsBefore),
      };
      const result: OutboxCleanupResult = {
        outboxBefore: outboxBefore.toISOString(),
        processedEventsBefore: processedEventsBefore.toISOString(),
        orders,
        inventory,
        complete,
      };
      const total = orders.outbox + orders.processedEvents + inventory.outbox + inventory.processedEvents;
      if (context && (total > 0 || !complete)) log.info('outbox cleanup', { ...result });
      return result;
    },
  };
}
