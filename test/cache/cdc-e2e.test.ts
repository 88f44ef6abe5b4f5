/**
 * The cache end to end on the running stack: reads through the API (createApp in process, real
 * Redis and Postgres), row changes made straight in the databases, Debezium, Kafka, and the
 * running consumers process's `trackops-cache` group invalidating and re-warming the entries
 * (`bin/trackops stack restart consumers` after changing consumers/cache-consumer.ts).
 */
import type { Admin, Consumer, KafkaMessage, Producer } from 'kafkajs';
import { staffRequest as request } from '../support/auth';
import { createApp } from '../../api/app';
import { inventoryItemKey, orderKey } from '../../cache/keys';
import type { CacheStats } from '../../cache/versioned-cache';
import { VersionedCache } from '../../cache/versioned-cache';
import { CACHE_CONSUMER_NAME, CACHE_TOPICS } from '../../consumers/cache-consumer';
import { updateItem } from '../../domain/inventory/catalog';
import { recordOrderStatus } from '../../domain/orders/order-store';
import { createLogger } from '../../lib/logger';
import { createPendingOrder, createTestItem, testRunId } from '../support/db';
import { closeStackClients, createStackClients, waitFor } from '../support/orders-e2e';
import { kafka as testKafka } from '../support/signals';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('cachee2e');
const PRODUCT = `${RUN}-P`;
const config = { ...stackConfig, LOG_LEVEL: 'silent' as const };

const stack = createStackClients();
const { redis } = stack;
const app = createApp({ config, logger: createLogger('cache-e2e', 'silent'), ...stack });
// For peeking only: same Redis, same keys as the app's cache.
const cache = new VersionedCache(redis, { ttlSeconds: 60, listTtlSeconds: 10 });
let admin: Admin;
let producer: Producer;
let capture: Consumer;
/** Every change event of the orders topic seen since the suite started, by order id. */
const captured = new Map<string, KafkaMessage[]>();

interface OrderBody {
  id: string;
  status: string;
  version: number;
  items: { productId: string; quantity: number }[];
}

beforeAll(async () => {
  await createTestItem(stack.inventoryDb, PRODUCT, 1000);

  const kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
  capture = kafka.consumer({ groupId: `cache-e2e-${RUN}` });
  await capture.connect();
  const joined = new Promise<void>((resolve) => capture.on(capture.events.GROUP_JOIN, () => resolve()));
  await capture.subscribe({ topic: CACHE_TOPICS.orders, fromBeginning: false });
  await capture.run({
    eachMessage: async ({ message }) => {
      if (!message.key) return;
      const { id } = JSON.parse(message.key.toString()) as { id: string };
      captured.set(id, [...(captured.get(id) ?? []), message]);
    },
  });
  await joined;
}, 60_000);

afterAll(async () => {
  await capture?.disconnect();
  await producer?.disconnect();
  await admin?.deleteGroups([`cache-e2e-${RUN}`]).catch(() => undefined);
  await admin?.disconnect();
  await closeStackClients(stack, RUN);
}, 60_000);

const stats = async () => (await request(app).get('/api/cache/stats').expect(200)).body as CacheStats;
const getOrder = async (id: string) =>
  (await request(app).get(`/api/orders/${id}`).expect(200)).body as OrderBody;

/** Polls Redis until the cached entry satisfies `ok`. */
const cachedUntil = <T>(key: string, what: string, ok: (entry: { version?: number; value?: T }) => boolean) =>
  waitFor(
    what,
    async () => {
      const entry = await cache.peek<T>(key);
      return entry && ok(entry) ? entry : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );

/** Waits until the cache consumer group has committed past `offset` on the partition. */
async function consumedPast(topic: string, partition: number, offset: string) {
  await waitFor(
    `${CACHE_CONSUMER_NAME} to consume ${topic}[${partition}]@${offset}`,
    async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: CACHE_CONSUMER_NAME, topics: [topic] });
      const committed = offsets?.partitions.find((p) => p.partition === partition)?.offset;
      return committed !== undefined && BigInt(committed) > BigInt(offset) ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** Waits until the cache consumer group has committed everything the topic holds now. */
async function consumedAllOf(topic: string) {
  const ends = await admin.fetchTopicOffsets(topic);
  for (const { partition, high } of ends) {
    if (BigInt(high) > 0n) await consumedPast(topic, partition, String(BigInt(high) - 1n));
  }
}

describe('orders through the cache', () => {
  let orderId: string;

  it('the consumer warms a new order; a cold read is a miss, the next a hit', async () => {
    const order = await createPendingOrder(stack, `${RUN}-c1`, [{ productId: PRODUCT, quantity: 2 }]);
    orderId = order.id;
    // The creation event was warmed into the cache by the CDC consumer.
    await cachedUntil<OrderBody>(orderKey(orderId), 'the new order to be warmed', (e) => e.version === 0);
    // Its order_items change (another topic) re-warms the entry too: let that land before the evict.
    await consumedAllOf(CACHE_TOPICS.orderItems);

    // Evicted (or expired): the first read misses and fills, the second hits.
    await redis.del(orderKey(orderId));
    const before = await stats();
    const first = await getOrder(orderId);
    const afterMiss = await stats();
    const second = await getOrder(orderId);
    const afterHit = await stats();

    expect(first).toMatchObject({ id: orderId, status: 'PENDING', version: 0 });
    expect(first.items).toEqual([expect.objectContaining({ productId: PRODUCT, quantity: 2 })]);
    expect(second).toEqual(first);
    expect(afterMiss.misses).toBeGreaterThanOrEqual(before.misses + 1);
    expect(afterMiss.fills).toBeGreaterThanOrEqual(before.fills + 1);
    expect(afterHit.hits).toBeGreaterThanOrEqual(afterMiss.hits + 1);
    expect(afterHit.hitRatio).toBeGreaterThan(0);
    expect(afterHit.hitRatio).toBeLessThanOrEqual(1);
    expect(afterHit.redis).toBe('up');
    // The tracking token is added to each answer from the order id; the cache holds the order alone.
    const { trackingToken, ...cachedView } = first as OrderBody & { trackingToken?: string };
    expect(trackingToken).toEqual(expect.any(String));
    expect(await cache.peek(orderKey(orderId))).toMatchObject({ version: 0, value: cachedView });
  });

  it('a status change made in the database is invalidated and re-warmed by the consumer', async () => {
    const before = await stats();
    expect(
      await recordOrderStatus(stack.ordersDb, { orderId, status: 'CONFIRMED', source: 'cache-e2e' }),
    ).toBe(true);
    const warmed = await cachedUntil<OrderBody>(
      orderKey(orderId),
      'the cached order to show CONFIRMED at version 1',
      (e) => e.version === 1 && e.value?.status === 'CONFIRMED',
    );
    expect(warmed.value).toMatchObject({ id: orderId, status: 'CONFIRMED', version: 1 });
    const after = await stats();
    expect(after.invalidations).toBeGreaterThanOrEqual(before.invalidations + 1);
    expect(after.warms).toBeGreaterThanOrEqual(before.warms + 1);

    // The API answers from the cache with the new status.
    const hitsBefore = (await stats()).hits;
    expect(await getOrder(orderId)).toMatchObject({ status: 'CONFIRMED', version: 1 });
    expect((await stats()).hits).toBeGreaterThanOrEqual(hitsBefore + 1);
  });

  it('a replayed old change event does not bring the old version back', async () => {
    const creation = await waitFor('the captured creation event', async () =>
      (captured.get(orderId) ?? []).find((m) => {
        const event = JSON.parse(m.value?.toString() ?? 'null') as {
          op: string;
          after: { version: number };
        } | null;
        return event?.op === 'c' && event.after.version === 0;
      }),
    );
    const before = await stats();
    const [sent] = await producer.send({
      topic: CACHE_TOPICS.orders,
      messages: [{ key: creation.key, value: creation.value, headers: creation.headers }],
    });
    if (!sent?.baseOffset) throw new Error('no offset for the replayed event');
    await consumedPast(CACHE_TOPICS.orders, sent.partition, sent.baseOffset);

    // Handled (it invalidated with version 0, which drops nothing newer), and the entry is unchanged.
    expect((await stats()).invalidations).toBeGreaterThanOrEqual(before.invalidations + 1);
    expect(await cache.peek(orderKey(orderId))).toMatchObject({ version: 1, value: { status: 'CONFIRMED' } });
    expect(await getOrder(orderId)).toMatchObject({ status: 'CONFIRMED', version: 1 });
  });

  it('list pages follow order changes (the consumer bumps the generation)', async () => {
    const customerId = `${RUN}-lister`;
    const order = await createPendingOrder(stack, customerId, [{ productId: PRODUCT, quantity: 1 }]);
    const list = async () =>
      (await request(app).get(`/api/orders?customerId=${customerId}`).expect(200)).body as {
        content: OrderBody[];
        totalElements: number;
      };
    // Once the consumer has warmed the new order it has also bumped the list generation for it.
    await cachedUntil(orderKey(order.id), 'the new order to be warmed', (e) => e.version === 0);
    expect((await list()).totalElements).toBe(1);
    const hits = (await stats()).hits;
    expect((await list()).content[0]?.status).toBe('PENDING');
    expect((await stats()).hits).toBeGreaterThanOrEqual(hits + 1);

    await recordOrderStatus(stack.ordersDb, {
      orderId: order.id,
      status: 'CANCELLED',
      reason: 'CUSTOMER_REQUEST',
    });
    await waitFor(
      'the list page to show CANCELLED',
      async () => ((await list()).content[0]?.status === 'CANCELLED' ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 50 },
    );
  });
});

describe('inventory items through the cache', () => {
  it('PUT through the API is visible at once; a change made elsewhere arrives through CDC', async () => {
    const productId = `${RUN}-item`;
    await createTestItem(stack.inventoryDb, productId, 50);
    const get = async () =>
      (await request(app).get(`/api/inventory/items/${productId}`).expect(200)).body as {
        availableQuantity: number;
        productName: string;
        version: number;
      };
    expect(await get()).toMatchObject({ availableQuantity: 50, version: 0 });

    // Written through by the API: the very next read (a hit) shows it.
    await request(app)
      .put(`/api/inventory/items/${productId}`)
      .send({ availableQuantity: 40, version: 0 })
      .expect(200);
    expect(await get()).toMatchObject({ availableQuantity: 40, version: 1 });

    // Changed by someone else (the saga, a script): the consumer invalidates and re-warms.
    await updateItem(stack.inventoryDb, productId, { productName: 'Renamed by CDC test' });
    await cachedUntil<{ productName: string }>(
      inventoryItemKey(productId),
      'the renamed item to be warmed',
      (e) => e.version === 2 && e.value?.productName === 'Renamed by CDC test',
    );
    expect(await get()).toMatchObject({ productName: 'Renamed by CDC test', version: 2 });

    // Deleted through the API: gone at once, and a stale copy cannot come back.
    await request(app).delete(`/api/inventory/items/${productId}`).expect(204);
    await request(app).get(`/api/inventory/items/${productId}`).expect(404);
    expect(await cache.set(inventoryItemKey(productId), { version: 2, value: 'ghost' })).toBe('stale');
  });
});
