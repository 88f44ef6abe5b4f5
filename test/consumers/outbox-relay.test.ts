/**
 * The fallback outbox relay on databases of its own (scratch copies of both contexts, migrated)
 * and a Kafka topic of its own (`trackops.<aggregatetype>` with an aggregatetype of this run), so
 * publishing "everything pending" publishes only this file's rows: the wire format, ordering and
 * marking, forceRetry, two relays at once, the polling loop, and the /api/events endpoints.
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Admin, Producer } from 'kafkajs';
import { staffRequest as request } from '../support/auth';
import type { ApiDependencies } from '../../api/dependencies';
import { errorHandler } from '../../api/errors';
import { createEventsRouter } from '../../api/routes/events';
import { OutboxRelayLoop } from '../../consumers/relay/relay-loop';
import { parseOutboxEvent } from '../../consumers/runtime/outbox-event';
import { applyMigrations } from '../../deploy/stack/migrations';
import { createInventoryDb, type InventoryDb } from '../../domain/inventory/db';
import { createOrdersDb, type OrdersDb } from '../../domain/orders/db';
import { createLogger } from '../../lib/logger';
import { OutboxRelay } from '../../messaging/outbox/outbox-relay';
import { inventoryContext, ordersContext } from '../../prisma/contexts';
import { createScratchDatabases, type ScratchDatabases } from '../prisma/scratch-databases';
import { waitFor } from '../support/orders-e2e';
import { kafka as testKafka, partitionOf, TopicWatcher } from '../support/signals';
import { stackConfig, uniqueSuffix } from '../support/stack-env';

jest.setTimeout(120_000);

const AGGREGATE = `relaytest-${uniqueSuffix()}`;
const TOPIC = `trackops.${AGGREGATE}`;
const PARTITIONS = 3;
const logger = createLogger('test', 'silent');

let scratch: ScratchDatabases;
let ordersDb: OrdersDb;
let inventoryDb: InventoryDb;
let admin: Admin;
let producer: Producer;
let watcher: TopicWatcher;
let relay: OutboxRelay;

beforeAll(async () => {
  scratch = await createScratchDatabases('relay', [ordersContext, inventoryContext]);
  await applyMigrations(scratch.env);
  ordersDb = createOrdersDb(scratch.url(ordersContext), 4);
  inventoryDb = createInventoryDb(scratch.url(inventoryContext), 4);
  const kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  watcher = await new TopicWatcher([TOPIC]).start();
  relay = new OutboxRelay({ orders: ordersDb, inventory: inventoryDb }, producer, logger);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([watcher?.stop(), producer?.disconnect()]);
  await admin?.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin?.disconnect();
  await Promise.allSettled([ordersDb?.$disconnect(), inventoryDb?.$disconnect()]);
  await scratch?.drop();
}, 60_000);

interface RowSpec {
  aggregateId?: string;
  type?: string;
  payload?: string;
  traceparent?: string | null;
  schemaVersion?: number;
  occurredAt?: string;
}

let clock = Date.parse('2026-02-01T00:00:00Z');
/** Inserts an outbox row (ids and times in insertion order unless given) and returns its id. */
async function insertRow(db: OrdersDb | InventoryDb, spec: RowSpec = {}): Promise<string> {
  const id = randomUUID();
  clock += 1000;
  await (db as OrdersDb).$executeRawUnsafe(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, traceparent, schema_version, occurred_at)
     VALUES ($1::uuid, $2, $3, $4, $5::jsonb, $6, $7, $8::timestamptz)`,
    id,
    AGGREGATE,
    spec.aggregateId ?? `agg-${randomUUID()}`,
    spec.type ?? 'TEST_EVENT',
    spec.payload ?? `{"n": ${clock}}`,
    spec.traceparent ?? null,
    spec.schemaVersion ?? 1,
    spec.occurredAt ?? new Date(clock).toISOString(),
  );
  return id;
}

const publishedAtOf = async (db: OrdersDb | InventoryDb, id: string) =>
  (await (db as OrdersDb).outboxEvent.findUniqueOrThrow({ where: { id } })).publishedAt;

const seenIds = (ids: string[]) => watcher.seen.filter((m) => ids.includes(m.headers.id ?? ''));
const waitSeen = (ids: string[], count = ids.length) =>
  waitFor(`${count} relayed message(s)`, async () =>
    seenIds(ids).length >= count ? seenIds(ids) : undefined,
  );

/** Marks every row published, so a test starts with nothing pending. */
const settle = async () => {
  await ordersDb.$executeRawUnsafe('UPDATE outbox SET published_at = now() WHERE published_at IS NULL');
  await inventoryDb.$executeRawUnsafe('UPDATE outbox SET published_at = now() WHERE published_at IS NULL');
};

it('publishes a row exactly as the Outbox Event Router would, and marks it published', async () => {
  const aggregateId = `order-${randomUUID()}`;
  const id = await insertRow(ordersDb, {
    aggregateId,
    type: 'ORDER_SHIPMENT_EVENT',
    // jsonb keeps its own key order (shorter keys first) and drops the spaces when compacted.
    payload: '{"price": "9.90", "b": 1, "ccc": {"x": "y"}, "aa": [1, 2]}',
    schemaVersion: 2,
    occurredAt: '2026-01-02T03:04:05.1234Z',
  });
  const traced = await insertRow(inventoryDb, {
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    occurredAt: '2026-01-02T03:04:06Z',
  });

  const published = await relay.publishOne(id);
  expect(published).toMatchObject({
    context: 'orders',
    eventId: id,
    eventType: 'ORDER_SHIPMENT_EVENT',
    topic: TOPIC,
    partition: partitionOf(TOPIC, aggregateId, PARTITIONS),
    previouslyPublishedAt: null,
  });
  const [message] = await waitSeen([id]);
  expect(message).toMatchObject({
    partition: partitionOf(TOPIC, aggregateId, PARTITIONS),
    offset: published!.offset,
    key: aggregateId,
    value: '{"b":1,"aa":[1,2],"ccc":{"x":"y"},"price":"9.90"}',
    headers: {
      id,
      eventType: 'ORDER_SHIPMENT_EVENT',
      aggregateType: AGGREGATE,
      aggregateId,
      schemaVersion: '2',
      occurredAt: '2026-01-02T03:04:05.123400Z',
    },
  });
  expect(Object.keys(message!.message.headers ?? {})).toEqual([
    'id',
    'eventType',
    'aggregateType',
    'aggregateId',
    'schemaVersion',
    'occurredAt',
  ]);
  expect(parseOutboxEvent(message!.message)).toEqual({
    id,
    type: 'ORDER_SHIPMENT_EVENT',
    aggregateType: AGGREGATE,
    aggregateId,
    schemaVersion: 2,
    occurredAt: '2026-01-02T03:04:05.123400Z',
    payload: { b: 1, aa: [1, 2], ccc: { x: 'y' }, price: '9.90' },
  });
  expect(await publishedAtOf(ordersDb, id)).toBeInstanceOf(Date);

  await relay.publishOne(traced);
  const [tracedMessage] = await waitSeen([traced]);
  expect(tracedMessage!.headers).toMatchObject({
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    occurredAt: '2026-01-02T03:04:06.000000Z',
  });

  // Publishing one again says when it was published before.
  const again = await relay.publishOne(id);
  expect(again!.previouslyPublishedAt).not.toBeNull();
  await waitSeen([id], 2);
  expect(await relay.publishOne(randomUUID())).toBeUndefined();
  expect(await relay.publishOne('not-a-uuid')).toBeUndefined();
});

it('publishes every pending row of both databases in batches, oldest first, once', async () => {
  await settle();
  const aggregateId = `order-${randomUUID()}`;
  const orderIds: string[] = [];
  const inventoryIds: string[] = [];
  for (let i = 0; i < 5; i++) orderIds.push(await insertRow(ordersDb, { aggregateId }));
  for (let i = 0; i < 3; i++) inventoryIds.push(await insertRow(inventoryDb));

  const result = await relay.publishAll({ batchSize: 2 });
  expect(result).toEqual({
    published: 8,
    republished: 0,
    batches: 5,
    byContext: { orders: 5, inventory: 3 },
  });
  const seen = await waitSeen([...orderIds, ...inventoryIds]);
  // One aggregate's events keep their order on its partition.
  expect(seen.filter((m) => m.key === aggregateId).map((m) => m.headers.id)).toEqual(orderIds);
  for (const id of orderIds) expect(await publishedAtOf(ordersDb, id)).toBeInstanceOf(Date);
  for (const id of inventoryIds) expect(await publishedAtOf(inventoryDb, id)).toBeInstanceOf(Date);

  expect(await relay.publishAll({ batchSize: 2 })).toMatchObject({ published: 0 });
  expect(seenIds([...orderIds, ...inventoryIds])).toHaveLength(8);

  // forceRetry republishes published rows too: all of them, or those since a moment.
  const since = new Date(clock - 1500);
  const recent = await relay.publishAll({ batchSize: 2, forceRetry: true, since });
  expect(recent).toMatchObject({ published: 2, republished: 2 });
  const everything = await relay.publishAll({ batchSize: 3, forceRetry: true });
  expect(everything.republished).toBe(everything.published);
  expect(everything.byContext.orders).toBeGreaterThanOrEqual(5);
  expect(everything.byContext.inventory).toBeGreaterThanOrEqual(3);
  await waitSeen([...orderIds, ...inventoryIds], 8 + 2 + 8);
});

it('lets two relays run at once without publishing a row twice', async () => {
  await settle();
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push(await insertRow(i % 2 ? ordersDb : inventoryDb));
  const other = new OutboxRelay({ orders: ordersDb, inventory: inventoryDb }, producer, logger);
  const drain = async (r: OutboxRelay) => {
    let total = 0;
    for (let round = 0; round < 50; round++) {
      const counts = await Promise.all([r.publishPending('orders', 3), r.publishPending('inventory', 3)]);
      total += counts[0] + counts[1];
      const pending = await Promise.all([
        ordersDb.outboxEvent.count({ where: { publishedAt: null } }),
        inventoryDb.outboxEvent.count({ where: { publishedAt: null } }),
      ]);
      if (pending[0] + pending[1] === 0) break;
    }
    return total;
  };
  const [a, b] = await Promise.all([drain(relay), drain(other)]);
  expect(a + b).toBe(40);
  await waitSeen(ids);
  await new Promise((r) => setTimeout(r, 1000));
  expect(seenIds(ids)).toHaveLength(40);
});

it('polls in a loop, publishing rows as they are written', async () => {
  await settle();
  const published: number[] = [];
  const loop = new OutboxRelayLoop(
    relay,
    { intervalMs: 100, batchSize: 10, onPublished: (_c, n) => published.push(n) },
    logger,
  );
  loop.start();
  try {
    const id = await insertRow(inventoryDb);
    await waitSeen([id]);
    const more = [await insertRow(ordersDb), await insertRow(ordersDb)];
    await waitSeen(more);
  } finally {
    await loop.stop();
  }
  expect(published.reduce((sum, n) => sum + n, 0)).toBe(3);
});

describe('/api/events', () => {
  const app = () =>
    express()
      .use(express.json())
      .use(
        '/api/events',
        createEventsRouter(
          {
            config: { ...stackConfig, OUTBOX_RELAY_ENABLED: false },
            logger,
            ordersDb,
            inventoryDb,
          } as ApiDependencies,
          producer,
        ),
      )
      .use(errorHandler(logger));

  it('lists, counts and publishes pending rows', async () => {
    await settle();
    const ids = [
      await insertRow(ordersDb, { type: 'A' }),
      await insertRow(inventoryDb, { type: 'B' }),
      await insertRow(ordersDb, { type: 'A' }),
    ];

    const page = await request(app()).get('/api/events/unprocessed?size=2&page=0');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({
      totalElements: 3,
      totalPages: 2,
      number: 0,
      size: 2,
      first: true,
      last: false,
    });
    const content = (page.body as { content: { eventId: string; context: string; publishedAt: null }[] })
      .content;
    expect(content.map((e) => [e.eventId, e.context])).toEqual([
      [ids[0], 'orders'],
      [ids[1], 'inventory'],
    ]);
    expect(content[0]).toMatchObject({
      aggregateType: AGGREGATE,
      eventType: 'A',
      publishedAt: null,
      payload: { n: expect.any(Number) as unknown },
    });
    const second = await request(app()).get('/api/events/unprocessed?size=2&page=1&context=orders');
    expect(second.body).toMatchObject({ totalElements: 2, content: [] });
    expect((await request(app()).get('/api/events/unprocessed?context=payments')).status).toBe(400);

    const stats = await request(app()).get('/api/events/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ relayEnabled: false, unpublished: 3 });
    const contexts = (
      stats.body as { contexts: { context: string; unpublished: number; unpublishedByType: object }[] }
    ).contexts;
    expect(contexts.map((c) => [c.context, c.unpublished, c.unpublishedByType])).toEqual([
      ['orders', 2, { A: 2 }],
      ['inventory', 1, { B: 1 }],
    ]);

    const one = await request(app()).post(`/api/events/${ids[1]}/process`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      context: 'inventory',
      eventId: ids[1],
      topic: TOPIC,
      previouslyPublishedAt: null,
    });
    expect((await request(app()).post(`/api/events/${randomUUID()}/process`)).status).toBe(404);
    expect((await request(app()).post('/api/events/nope/process')).status).toBe(400);

    expect((await request(app()).post('/api/events/process-all').send({ batchSize: 0 })).status).toBe(400);
    expect((await request(app()).post('/api/events/process-all').send({ colour: 'red' })).status).toBe(400);
    const all = await request(app()).post('/api/events/process-all').send({ batchSize: 1 });
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      published: 2,
      republished: 0,
      batches: 2,
      byContext: { orders: 2, inventory: 0 },
    });
    await waitSeen(ids);
    expect((await request(app()).get('/api/events/stats')).body).toMatchObject({ unpublished: 0 });

    const forced = await request(app())
      .post('/api/events/process-all')
      .send({ forceRetry: true, since: new Date(clock - 2500).toISOString() });
    expect(forced.body).toMatchObject({ published: 3, republished: 3 });
    await waitSeen(ids, 6);
  });
});
