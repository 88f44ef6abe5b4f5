import { loadInventoryItemEntries, loadOrderEntries } from '../cache/entries';
import { inventoryItemKey, ORDERS_GENERATION_KEY, orderKey } from '../cache/keys';
import type { CacheEntry, VersionedCache } from '../cache/versioned-cache';
import type { InventoryDb } from '../domain/inventory/db';
import { inBusinessSpan } from '../lib/telemetry/business-span';
import type { OrdersDb } from '../domain/orders/db';
import { parseChangeEvent, type ChangeEvent } from './runtime/change-event';
import type { ConsumerDefinition, IncomingMessage } from './runtime/consumer-runner';
import { PermanentError } from './runtime/retry';

export const CACHE_CONSUMER_NAME = 'trackops-cache';

/** The raw row-change topics of the Debezium connectors (trackops-orders, trackops-inventory). */
export const CACHE_TOPICS = {
  orders: 'trackops_orders.public.orders',
  orderItems: 'trackops_orders.public.order_items',
  inventoryItems: 'trackops_inventory.public.inventory_items',
} as const;

/** Only the columns this consumer reads; the rows carry all of them (REPLICA IDENTITY FULL). */
interface OrderRow {
  id: string;
  version: number;
}
interface OrderItemRow {
  order_id: string;
}
interface InventoryItemRow {
  product_id: string;
  version: number;
}

/** A batch's span names at most this many cache keys (a whole fetch can hold thousands). */
const MAX_KEYS_IN_SPAN = 100;

/** Fence for a deleted row whose last version is unknown: nothing of it may be cached again. */
const GONE = Number.MAX_SAFE_INTEGER;

/** Tombstones (after a delete) and truncates (not used by the application) change nothing here. */
function relevant<Row>(change: ChangeEvent<Row> | undefined): ChangeEvent<Row> | undefined {
  return change && change.op !== 't' ? change : undefined;
}

function versionOf(row: { version: unknown }): number {
  if (typeof row.version !== 'number' || !Number.isInteger(row.version)) {
    throw new PermanentError('change event row has no integer version');
  }
  return row.version;
}

/** A deleted row's fence: past its last version, so nothing of it is cached again. */
const goneFence = (before: { version: unknown } | null) => (before ? versionOf(before) + 1 : GONE);

/** What the cache consumer works with: the cache it keeps, and the databases it loads rows from. */
export interface CacheConsumerDeps {
  cache: VersionedCache;
  ordersDb: OrdersDb;
  inventoryDb: InventoryDb;
}

/** The cache consumer always offers handleBatch (its messages share Redis and database round trips). */
export type BatchConsumerDefinition = ConsumerDefinition & {
  handleBatch: (batch: IncomingMessage[]) => Promise<void>;
};

/** What the changes of a batch ask for, per cache entry. */
interface EntryWork {
  kind: 'order' | 'inventoryItem';
  id: string;
  key: string;
  /** The highest version (or delete fence) the batch's row events name; none: order_items only. */
  fence?: number;
  /** The entry's last row event was a delete: fence it, load nothing. */
  deleted: boolean;
}

function collect(batch: IncomingMessage[]): EntryWork[] {
  const work = new Map<string, EntryWork>();
  const note = (kind: EntryWork['kind'], id: string, event?: { fence: number; deleted: boolean }) => {
    const key = kind === 'order' ? orderKey(id) : inventoryItemKey(id);
    const entry = work.get(key) ?? { kind, id, key, deleted: false };
    if (event) {
      entry.fence = Math.max(entry.fence ?? -1, event.fence);
      entry.deleted = event.deleted;
    }
    work.set(key, entry);
  };
  for (const { topic, message } of batch) {
    switch (topic) {
      case CACHE_TOPICS.orders: {
        const change = relevant(parseChangeEvent<OrderRow>(message));
        if (!change) break;
        const { before, after } = change;
        const id = (after ?? before)?.id;
        if (typeof id !== 'string') throw new PermanentError('orders change without an id');
        const deleted = change.op === 'd' || !after;
        note('order', id, { fence: deleted ? goneFence(before) : versionOf(after), deleted });
        break;
      }
      case CACHE_TOPICS.orderItems: {
        const change = relevant(parseChangeEvent<OrderItemRow>(message));
        if (!change) break;
        const orderId = (change.after ?? change.before)?.order_id;
        if (typeof orderId !== 'string') throw new PermanentError('order_items change without an order_id');
        note('order', orderId);
        break;
      }
      case CACHE_TOPICS.inventoryItems: {
        const change = relevant(parseChangeEvent<InventoryItemRow>(message));
        if (!change) break;
        const { before, after } = change;
        const productId = (after ?? before)?.product_id;
        if (typeof productId !== 'string')
          throw new PermanentError('inventory_items change without a product_id');
        const deleted = change.op === 'd' || !after;
        note('inventoryItem', productId, { fence: deleted ? goneFence(before) : versionOf(after), deleted });
        break;
      }
      default:
        throw new PermanentError(`cache consumer does not handle topic ${topic}`);
    }
  }
  return [...work.values()];
}

/**
 * Keeps the API's read cache in step with the databases. A batch of changes (ConsumerRunner hands
 * over what Kafka fetched for a partition) is folded per cache entry to the newest version its
 * events name; the rows are loaded as they are now through the API's own view functions (one query
 * per table), then, in one Redis round trip, each entry's fence is raised to that version (dropping
 * an older cached value; order changes also bump the list-page generation) and the loaded row is
 * stored with its version (a no-op when that version is cached already). The row loaded is at that
 * version or newer, since its change was committed before the event was read. A delete only fences
 * the entry. An order_items change re-warms its order (items never change without their order, so
 * its version covers them).
 *
 * A reader of the API that loaded an older row cannot put it back: stored before the fence, it is
 * dropped by it; after, it is refused. Fencing after the load rather than before it lets the old
 * value be read for the length of the load, and saves a round trip per batch.
 *
 * Idempotent by construction, so no processed_events bookkeeping: the value written is always the
 * row as the database has it at that moment, and the version rules (cache/lua.ts) refuse to put
 * anything older than what is cached or fenced. A redelivered or replayed old event, or events of
 * one order handled out of order across partitions (order_items are keyed by item id), can at
 * worst rewrite the current value at its current version, which is a no-op.
 */
export function createCacheConsumer(deps: CacheConsumerDeps): BatchConsumerDefinition {
  const { cache, ordersDb, inventoryDb } = deps;

  async function handleBatch(batch: IncomingMessage[]): Promise<void> {
    const work = collect(batch);
    if (work.length === 0) return;

    // 1. The rows to warm, one query per table.
    const toLoad = work.filter((w) => !w.deleted);
    const [orders, items] = await Promise.all([
      loadOrderEntries(
        ordersDb,
        toLoad.filter((w) => w.kind === 'order').map((w) => w.id),
      ),
      loadInventoryItemEntries(
        inventoryDb,
        toLoad.filter((w) => w.kind === 'inventoryItem').map((w) => w.id),
      ),
    ]);

    // 2. Per entry its fence, then its store; all issued at once, so one pipelined round trip in
    // which each entry's fence runs before its store.
    await inBusinessSpan(
      'trackops-cache',
      'cache invalidate and warm',
      {
        'trackops.cache.entries': work.length,
        'trackops.cache.keys': work.slice(0, MAX_KEYS_IN_SPAN).map((w) => w.key),
      },
      (span) => {
        let invalidations = 0;
        let warms = 0;
        const steps = work.flatMap((w) => {
          const entrySteps: Promise<unknown>[] = [];
          if (w.fence !== undefined) {
            const generationKey = w.kind === 'order' ? ORDERS_GENERATION_KEY : undefined;
            entrySteps.push(cache.invalidate(w.key, w.fence, { generationKey }));
            invalidations += 1;
          }
          if (!w.deleted) {
            const entry: CacheEntry<unknown> | undefined =
              w.kind === 'order' ? orders.get(w.id) : items.get(w.id);
            if (entry) {
              entrySteps.push(cache.set(w.key, entry, { kind: 'warm' }));
              warms += 1;
            } else if (w.fence === undefined) {
              // No row: deleted meanwhile, and its delete event fences the key (an order's items go
              // with it, so for an items-only change the order is fenced here as well).
              entrySteps.push(cache.invalidate(w.key, GONE));
              invalidations += 1;
            }
          }
          return entrySteps;
        });
        span.setAttributes({ 'trackops.cache.invalidations': invalidations, 'trackops.cache.warms': warms });
        return Promise.all(steps);
      },
    );
  }

  return {
    name: CACHE_CONSUMER_NAME,
    topics: Object.values(CACHE_TOPICS),
    // A new group starts at the end: the cache only needs changes from the time it is kept.
    fromBeginning: false,
    handle: (incoming) => handleBatch([incoming]),
    handleBatch,
  };
}
