/**
 * The CDC cache consumer's handler, fed hand-made Debezium change events (the JSON converter's
 * envelope, as in consumers/runtime/change-event.ts) against the real Postgres and Redis. The
 * running consumers process may handle the real change events of the same rows at the same time;
 * every assertion holds either way, which is the point of version-based idempotency.
 */
import Redis from 'ioredis';
import type { KafkaMessage } from 'kafkajs';
import { inventoryItemKey, ORDERS_GENERATION_KEY, orderKey } from '../../cache/keys';
import { VersionedCache } from '../../cache/versioned-cache';
import {
  CACHE_TOPICS,
  createCacheConsumer,
  type BatchConsumerDefinition,
} from '../../consumers/cache-consumer';
import { PermanentError } from '../../consumers/runtime/retry';
import {
  closeTestDbs,
  createPendingOrder,
  createTestDbs,
  createTestItem,
  testRunId,
  type TestDbs,
} from '../support/db';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('cachecons');
const PRODUCT = `${RUN}-P`;
let seq = 0;

let dbs: TestDbs;
let redis: Redis;
let cache: VersionedCache;
let consumer: BatchConsumerDefinition;
const touched: string[] = [];

beforeAll(async () => {
  dbs = createTestDbs(4);
  redis = new Redis(stackConfig.REDIS_URL, { maxRetriesPerRequest: 1 });
  cache = new VersionedCache(redis, { ttlSeconds: 60, listTtlSeconds: 10 });
  consumer = createCacheConsumer({ cache, ordersDb: dbs.ordersDb, inventoryDb: dbs.inventoryDb });
  await createTestItem(dbs.inventoryDb, PRODUCT, 1000);
});

afterAll(async () => {
  await closeTestDbs(dbs, RUN);
  if (touched.length > 0) await redis.del(...touched);
  redis.disconnect();
});

function message(key: unknown, value: unknown): KafkaMessage {
  const built: KafkaMessage = {
    key: Buffer.from(JSON.stringify(key)),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    offset: '0',
    timestamp: String(Date.now()),
    attributes: 0,
    headers: {},
  };
  return built;
}

const envelope = (table: string, op: string, before: unknown, after: unknown) => ({
  op,
  before,
  after,
  source: {
    db: table === 'inventory_items' ? 'trackops_inventory' : 'trackops_orders',
    table,
    lsn: 1,
    ts_ms: 0,
  },
  ts_ms: Date.now(),
});

const handle = (topic: string, key: unknown, value: unknown) =>
  consumer.handle({ topic, partition: 0, message: message(key, value) });

async function newOrder() {
  const order = await createPendingOrder(dbs, `${RUN}-c${++seq}`, [{ productId: PRODUCT, quantity: 2 }]);
  touched.push(orderKey(order.id));
  return order;
}

const orderRow = (id: string, version: number, status = 'PENDING') => ({
  id,
  version,
  status,
  total_amount: '20.00',
});

describe('orders', () => {
  it('an update fences the old version, stores the current row and bumps the list generation', async () => {
    const order = await newOrder();
    await cache.set(orderKey(order.id), { version: 0, value: { stale: true } });
    await dbs.ordersDb.order.update({ where: { id: order.id }, data: { status: 'CONFIRMED', version: 1 } });
    const generation = Number((await redis.get(ORDERS_GENERATION_KEY)) ?? 0);

    await handle(
      CACHE_TOPICS.orders,
      { id: order.id },
      envelope('orders', 'u', orderRow(order.id, 0), orderRow(order.id, 1, 'CONFIRMED')),
    );

    const cached = await cache.peek<{ status: string; items: unknown[]; version: number }>(
      orderKey(order.id),
    );
    expect(cached).toMatchObject({ version: 1, value: { status: 'CONFIRMED', version: 1 } });
    expect(cached?.fence).toBeGreaterThanOrEqual(1);
    expect(cached?.value?.items).toHaveLength(1);
    expect(Number(await redis.get(ORDERS_GENERATION_KEY))).toBeGreaterThan(generation);
  });

  it('a replayed old event leaves the newer cached value alone', async () => {
    const order = await newOrder();
    await dbs.ordersDb.order.update({ where: { id: order.id }, data: { status: 'CONFIRMED', version: 1 } });
    await handle(
      CACHE_TOPICS.orders,
      { id: order.id },
      envelope('orders', 'u', orderRow(order.id, 0), orderRow(order.id, 1, 'CONFIRMED')),
    );
    // The creation event (version 0) again, long after.
    await handle(CACHE_TOPICS.orders, { id: order.id }, envelope('orders', 'c', null, orderRow(order.id, 0)));
    expect(await cache.peek(orderKey(order.id))).toMatchObject({
      version: 1,
      value: { status: 'CONFIRMED' },
    });
  });

  it('a delete fences every version of the row; the tombstone after it is ignored', async () => {
    const order = await newOrder();
    await handle(CACHE_TOPICS.orders, { id: order.id }, envelope('orders', 'c', null, orderRow(order.id, 0)));
    expect(await cache.peek(orderKey(order.id))).toMatchObject({ version: 0 });
    await handle(CACHE_TOPICS.orders, { id: order.id }, envelope('orders', 'd', orderRow(order.id, 0), null));
    await handle(CACHE_TOPICS.orders, { id: order.id }, null);
    const fenced = await cache.peek(orderKey(order.id));
    expect(fenced?.value).toBeUndefined();
    expect(fenced?.fence).toBe(1);
    // A reader that loaded the row just before the delete cannot cache it.
    expect(await cache.set(orderKey(order.id), { version: 0, value: 'ghost' })).toBe('stale');
  });

  it('an order_items change re-warms its order', async () => {
    const order = await newOrder();
    await redis.del(orderKey(order.id));
    const item = await dbs.ordersDb.orderItem.findFirstOrThrow({ where: { orderId: order.id } });
    await handle(
      CACHE_TOPICS.orderItems,
      { id: item.id },
      envelope('order_items', 'c', null, {
        id: item.id,
        order_id: order.id,
        product_id: PRODUCT,
        quantity: 2,
      }),
    );
    const cached = await cache.peek<{ items: { productId: string; quantity: number }[] }>(orderKey(order.id));
    expect(cached?.version).toBe(0);
    expect(cached?.value?.items).toEqual([expect.objectContaining({ productId: PRODUCT, quantity: 2 })]);
  });
});

describe('inventory items', () => {
  it('an update stores the current item; a delete fences it', async () => {
    const productId = `${RUN}-inv-${++seq}`;
    touched.push(inventoryItemKey(productId));
    const item = await createTestItem(dbs.inventoryDb, productId, 10);
    const updated = await dbs.inventoryDb.inventoryItem.update({
      where: { productId },
      data: { availableQuantity: 7, version: { increment: 1 } },
    });
    const row = (version: number, available: number) => ({
      product_id: productId,
      version,
      available_quantity: available,
      unit_price: '10.00',
    });

    await handle(
      CACHE_TOPICS.inventoryItems,
      { product_id: productId },
      envelope('inventory_items', 'u', row(item.version, 10), row(updated.version, 7)),
    );
    expect(await cache.peek(inventoryItemKey(productId))).toMatchObject({
      version: updated.version,
      value: { productId, availableQuantity: 7, unitPrice: '10.00', version: updated.version },
    });

    await dbs.inventoryDb.inventoryItem.delete({ where: { productId } });
    await handle(
      CACHE_TOPICS.inventoryItems,
      { product_id: productId },
      envelope('inventory_items', 'd', row(updated.version, 7), null),
    );
    const fenced = await cache.peek(inventoryItemKey(productId));
    expect(fenced?.value).toBeUndefined();
    expect(fenced?.fence).toBe(updated.version + 1);
  });

  it('an event for a row that is already gone stores nothing', async () => {
    const productId = `${RUN}-gone-${++seq}`;
    touched.push(inventoryItemKey(productId));
    await handle(
      CACHE_TOPICS.inventoryItems,
      { product_id: productId },
      envelope('inventory_items', 'u', null, { product_id: productId, version: 3 }),
    );
    expect(await cache.peek(inventoryItemKey(productId))).toMatchObject({ fence: 3 });
    expect((await cache.peek(inventoryItemKey(productId)))?.value).toBeUndefined();
  });
});

describe('malformed input', () => {
  it('sends garbage and events without the needed columns to the DLQ (PermanentError)', async () => {
    await expect(handle(CACHE_TOPICS.orders, { id: 'x' }, 'not json')).rejects.toBeInstanceOf(PermanentError);
    await expect(
      handle(CACHE_TOPICS.orders, { id: 'x' }, envelope('orders', 'u', null, { status: 'PENDING' })),
    ).rejects.toBeInstanceOf(PermanentError);
    await expect(
      handle(
        CACHE_TOPICS.inventoryItems,
        {},
        envelope('inventory_items', 'u', null, { product_id: 'p', version: 'x' }),
      ),
    ).rejects.toBeInstanceOf(PermanentError);
    await expect(handle('some.other.topic', {}, envelope('x', 'u', null, {}))).rejects.toBeInstanceOf(
      PermanentError,
    );
  });

  it('ignores truncate events', async () => {
    await expect(
      handle(
        CACHE_TOPICS.orders,
        {},
        {
          op: 't',
          before: null,
          after: null,
          source: { db: 'trackops_orders', table: 'orders', ts_ms: 0 },
          ts_ms: 0,
        },
      ),
    ).resolves.toBeUndefined();
  });
});

describe('the order loader', () => {
  it('builds exactly the view the API built from Prisma rows (orderView of the order and its items)', async () => {
    const { loadOrderEntry } = await import('../../cache/entries');
    const { orderView } = await import('../../domain/orders/order-view');
    const order = await newOrder();
    await createTestItem(dbs.inventoryDb, `${RUN}-Q`, 100, '0.10');
    const two = await createPendingOrder(dbs, `${RUN}-c${++seq}`, [
      { productId: `${RUN}-Q`, quantity: 7 },
      { productId: PRODUCT, quantity: 3 },
    ]);
    for (const id of [order.id, two.id]) {
      const row = await dbs.ordersDb.order.findUniqueOrThrow({ where: { id } });
      const items = await dbs.ordersDb.orderItem.findMany({
        where: { orderId: id },
        orderBy: { productId: 'asc' },
      });
      const entry = await loadOrderEntry(dbs.ordersDb, id);
      expect(entry).toEqual({ version: row.version, value: orderView(row, items) });
      // And it survives the trip through Redis unchanged.
      expect(JSON.parse(JSON.stringify(entry?.value))).toEqual(orderView(row, items));
    }
    expect(await loadOrderEntry(dbs.ordersDb, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });
});

describe('batches', () => {
  it('a batch applies like its messages one by one: per entry the newest version, deletes fenced', async () => {
    const updated = await newOrder();
    const deleted = await newOrder();
    const itemsOnly = await newOrder();
    const productId = `${RUN}-batch-${++seq}`;
    touched.push(inventoryItemKey(productId));
    await createTestItem(dbs.inventoryDb, productId, 5);
    await redis.del(orderKey(itemsOnly.id), orderKey(updated.id));
    await dbs.ordersDb.order.update({ where: { id: updated.id }, data: { status: 'CONFIRMED', version: 2 } });
    const item = await dbs.ordersDb.orderItem.findFirstOrThrow({ where: { orderId: itemsOnly.id } });
    const generation = Number((await redis.get(ORDERS_GENERATION_KEY)) ?? 0);

    const at = (topic: string, key: unknown, value: unknown) => ({
      topic,
      partition: 0,
      message: message(key, value),
    });
    await consumer.handleBatch([
      at(
        CACHE_TOPICS.orders,
        { id: updated.id },
        envelope('orders', 'u', orderRow(updated.id, 0), orderRow(updated.id, 1)),
      ),
      at(CACHE_TOPICS.orders, { id: deleted.id }, envelope('orders', 'd', orderRow(deleted.id, 0), null)),
      at(CACHE_TOPICS.orders, { id: deleted.id }, null),
      at(
        CACHE_TOPICS.orders,
        { id: updated.id },
        envelope('orders', 'u', orderRow(updated.id, 1), orderRow(updated.id, 2, 'CONFIRMED')),
      ),
      at(
        CACHE_TOPICS.orderItems,
        { id: item.id },
        envelope('order_items', 'c', null, { id: item.id, order_id: itemsOnly.id }),
      ),
      at(
        CACHE_TOPICS.inventoryItems,
        { product_id: productId },
        envelope('inventory_items', 'r', null, { product_id: productId, version: 0 }),
      ),
    ]);

    expect(await cache.peek(orderKey(updated.id))).toMatchObject({
      version: 2,
      value: { status: 'CONFIRMED' },
    });
    expect(await cache.peek(orderKey(deleted.id))).toMatchObject({ fence: 1 });
    expect((await cache.peek(orderKey(deleted.id)))?.value).toBeUndefined();
    expect(await cache.peek(orderKey(itemsOnly.id))).toMatchObject({
      version: 0,
      value: { id: itemsOnly.id },
    });
    expect(await cache.peek(inventoryItemKey(productId))).toMatchObject({ version: 0, value: { productId } });
    // Three order changes (two for one order, one delete): each bumps the list generation.
    expect(Number(await redis.get(ORDERS_GENERATION_KEY))).toBeGreaterThanOrEqual(generation + 2);
  });

  it('one malformed message fails its batch with a PermanentError before anything is written', async () => {
    const order = await newOrder();
    await redis.del(orderKey(order.id));
    await expect(
      consumer.handleBatch([
        {
          topic: CACHE_TOPICS.orders,
          partition: 0,
          message: message({ id: order.id }, envelope('orders', 'c', null, orderRow(order.id, 0))),
        },
        { topic: CACHE_TOPICS.orders, partition: 0, message: message({ id: 'x' }, 'garbage') },
      ]),
    ).rejects.toBeInstanceOf(PermanentError);
  });
});
