/**
 * The outbox connectors (debezium/trackops-*-outbox.json) on the running stack: outbox rows written
 * by the real domain code arrive on `trackops.<aggregatetype>` exactly as the wire contract in
 * consumers/runtime/outbox-event.ts says, and one aggregate's events keep their commit order.
 *
 * The consumer group is new and starts at the topics' current end offsets (committed before it
 * joins), so it reads only what this file writes, without racing "latest" against the first write.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { parseOutboxEvent } from '../../consumers/runtime/outbox-event';
import { CURRENT_SCHEMA_VERSION, EventType } from '../../domain/events';
import { releaseStock, reserveStock } from '../../domain/inventory/stock';
import { writePendingOrder } from '../support/orders';
import { recordOrderStatus } from '../../domain/orders/order-store';
import { recordPayment } from '../../domain/orders/payment-store';
import { validateEvent } from '../../events/registry';
import {
  closeTestDbs,
  createPendingOrder,
  createTestDbs,
  createTestItem,
  inventoryOutbox,
  ordersOutbox,
  testRunId,
} from '../support/db';
import { startGroupAtEnd, kafka as testKafka } from '../support/signals';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('cdcoutbox');
const TOPICS = ['trackops.orders', 'trackops.inventory', 'trackops.payments'] as const;
const CONNECTORS = [
  'trackops-orders-outbox',
  'trackops-inventory-outbox',
  'trackops-inventory',
  'trackops-orders',
];
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const ARRIVAL_MS = 30_000;
/** Debezium's ZonedTimestamp of a timestamptz(6): UTC, always six fraction digits. */
const OCCURRED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

interface Received {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

const dbs = createTestDbs(4);
const kafka = testKafka();
let consumer: Consumer;
const received: Received[] = [];

/** Headers as plain values; a header whose value is null (Debezium's NULL column) stays null. */
const headersOf = (message: KafkaMessage) =>
  Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([name, value]) => [
      name,
      (value as Buffer | null) === null ? null : String(value),
    ]),
  );

/** The messages whose `id` header is one of `ids`, waiting until all of them are there. */
async function messagesFor(ids: readonly string[], timeoutMs = ARRIVAL_MS): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = received.filter((r) => ids.includes(headersOf(r.message).id ?? ''));
    if (ids.every((id) => found.some((r) => headersOf(r.message).id === id))) return found;
    if (Date.now() > deadline) {
      throw new Error(`only ${found.length} of ${ids.length} outbox events arrived within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  const groupId = `test-cdc-outbox-${RUN}`;
  await startGroupAtEnd(groupId, TOPICS);
  consumer = kafka.consumer({ groupId });
  await consumer.connect();
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.subscribe({ topics: [...TOPICS] });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      received.push({ topic, partition, offset: message.offset, message });
    },
  });
  await joined;
}, 60_000);

afterAll(async () => {
  await consumer?.disconnect();
  await closeTestDbs(dbs, RUN);
});

describe('outbox connectors on the stack', () => {
  it('run, next to the raw-change connectors', async () => {
    for (const name of CONNECTORS) {
      const response = await fetch(`${stackConfig.KAFKA_CONNECT_URL}/connectors/${name}/status`);
      expect(response.status).toBe(200);
      const status = (await response.json()) as { connector: { state: string }; tasks: { state: string }[] };
      expect({ name, state: status.connector.state, tasks: status.tasks.map((t) => t.state) }).toEqual({
        name,
        state: 'RUNNING',
        tasks: ['RUNNING'],
      });
    }
  });

  it('keep their replication slots advancing with the WAL, also while the outbox is quiet', async () => {
    // The connectors publish inserts only (skipped.operations), so their heartbeat must insert a row:
    // an upsert would never reach the slot, and a quiet outbox would pin the server's WAL.
    const [{ lsn }] = await dbs.ordersDb.$queryRaw<
      [{ lsn: string }]
    >`SELECT pg_current_wal_lsn()::text AS lsn`;
    const deadline = Date.now() + 45_000;
    let slots: { slot_name: string; caught_up: boolean }[] = [];
    while (Date.now() < deadline) {
      slots = await dbs.ordersDb.$queryRaw<typeof slots>`
        SELECT slot_name, confirmed_flush_lsn >= ${lsn}::pg_lsn AS caught_up FROM pg_replication_slots
        WHERE slot_name IN ('trackops_orders_outbox', 'trackops_inventory_outbox') ORDER BY slot_name`;
      if (slots.length === 2 && slots.every((slot) => slot.caught_up)) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(slots).toEqual([
      { slot_name: 'trackops_inventory_outbox', caught_up: true },
      { slot_name: 'trackops_orders_outbox', caught_up: true },
    ]);
    // The heartbeat rows themselves are filtered out, not published.
    const admin = kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics().finally(() => admin.disconnect());
    expect(topics.filter((topic) => /_outbox\.public\./.test(topic))).toEqual([]);
  }, 60_000);

  it('route ORDER_CREATED to trackops.orders with the contract key, headers and payload', async () => {
    const productId = `${RUN}-p1`;
    await createTestItem(dbs.inventoryDb, productId, 100, '12.50');
    const order = await writePendingOrder(
      dbs,
      {
        customerId: `${RUN}-customer`,
        items: [{ productId, quantity: 2 }],
        address: { streetAddress: '1 Wire Street', city: 'Kafkaville', postalCode: '9092', country: 'NL' },
      },
      TRACEPARENT,
    );
    const [row] = await ordersOutbox(dbs.ordersDb, order.id, EventType.OrderCreated);
    expect(row).toBeDefined();

    const [got] = await messagesFor([row!.id]);
    expect(got!.topic).toBe('trackops.orders');
    expect(got!.message.key?.toString()).toBe(order.id);
    const headers = headersOf(got!.message);
    // Exactly the contract's headers, all plain strings (no Debezium context headers).
    expect(headers).toEqual({
      id: row!.id,
      eventType: 'ORDER_CREATED',
      aggregateType: 'orders',
      aggregateId: order.id,
      traceparent: TRACEPARENT,
      schemaVersion: String(CURRENT_SCHEMA_VERSION),
      occurredAt: expect.stringMatching(OCCURRED_AT) as unknown,
    });
    expect(Date.parse(headers.occurredAt!)).toBe(row!.occurredAt.getTime());
    // The value is the payload itself, expanded JSON.
    const value = JSON.parse(got!.message.value!.toString()) as unknown;
    expect(value).toEqual(row!.payload);

    const event = parseOutboxEvent(got!.message);
    expect(event).toEqual({
      id: row!.id,
      type: 'ORDER_CREATED',
      aggregateType: 'orders',
      aggregateId: order.id,
      schemaVersion: 1,
      occurredAt: headers.occurredAt,
      traceparent: TRACEPARENT,
      payload: row!.payload,
    });
    expect(validateEvent(event.type, event.schemaVersion, event.payload)).toEqual({ valid: true });
  });

  it('route INVENTORY_RESERVED to trackops.inventory; a NULL traceparent is a null header, read as absent', async () => {
    const productId = `${RUN}-p2`;
    await createTestItem(dbs.inventoryDb, productId, 10);
    const orderId = randomUUID();
    await reserveStock(dbs.inventoryDb, orderId, [{ productId, quantity: 3 }]);
    const [row] = await inventoryOutbox(dbs.inventoryDb, orderId, EventType.InventoryReserved);

    const [got] = await messagesFor([row!.id]);
    expect(got!.topic).toBe('trackops.inventory');
    expect(got!.message.key?.toString()).toBe(orderId);
    const headers = headersOf(got!.message);
    expect(headers).toMatchObject({
      id: row!.id,
      eventType: 'INVENTORY_RESERVED',
      aggregateType: 'inventory',
      aggregateId: orderId,
      schemaVersion: '1',
    });
    expect('traceparent' in headers).toBe(true);
    expect(headers.traceparent).toBeNull();
    // The JSON nulls of the payload survive the router's JSON expansion.
    const value = JSON.parse(got!.message.value!.toString()) as Record<string, unknown>;
    expect(value).toEqual(row!.payload);
    expect(value.expiresAt).toBeNull();

    const event = parseOutboxEvent(got!.message);
    expect(event.traceparent).toBeUndefined();
    expect(event).toMatchObject({
      id: row!.id,
      type: 'INVENTORY_RESERVED',
      aggregateId: orderId,
      payload: row!.payload,
    });
    expect(validateEvent(event.type, event.schemaVersion, event.payload)).toEqual({ valid: true });
  });

  it('route PAYMENT_AUTHORIZED (written in the orders database) to trackops.payments', async () => {
    const productId = `${RUN}-p3`;
    await createTestItem(dbs.inventoryDb, productId, 10, '7.25');
    const order = await createPendingOrder(dbs, `${RUN}-customer`, [{ productId, quantity: 2 }]);
    await recordPayment(dbs.ordersDb, {
      orderId: order.id,
      idempotencyKey: `${RUN}-pay`,
      status: 'AUTHORIZED',
      amount: '14.50',
      currency: 'USD',
      providerReference: 'sim_wire_1',
      traceparent: TRACEPARENT,
    });
    const [row] = await ordersOutbox(dbs.ordersDb, order.id, EventType.PaymentAuthorized);

    const [got] = await messagesFor([row!.id]);
    expect(got!.topic).toBe('trackops.payments');
    expect(got!.message.key?.toString()).toBe(order.id);
    expect(headersOf(got!.message)).toMatchObject({
      eventType: 'PAYMENT_AUTHORIZED',
      aggregateType: 'payments',
      aggregateId: order.id,
      traceparent: TRACEPARENT,
    });
    const event = parseOutboxEvent(got!.message);
    expect(event.payload).toEqual(row!.payload);
    expect(event.payload).toMatchObject({
      previousStatus: null,
      amount: '14.50',
      providerReference: 'sim_wire_1',
    });
    expect(validateEvent(event.type, event.schemaVersion, event.payload)).toEqual({ valid: true });
  });

  it("keep one order's events on one partition, in commit order", async () => {
    const productId = `${RUN}-p4`;
    await createTestItem(dbs.inventoryDb, productId, 10);
    const order = await createPendingOrder(dbs, `${RUN}-customer`, [{ productId, quantity: 1 }]);
    for (const status of ['CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED'] as const) {
      await recordOrderStatus(dbs.ordersDb, { orderId: order.id, status });
    }
    const rows = await ordersOutbox(dbs.ordersDb, order.id);
    expect(rows.map((row) => row.type)).toEqual([
      'ORDER_CREATED',
      'ORDER_CONFIRMED',
      'ORDER_STATUS_UPDATED',
      'ORDER_STATUS_UPDATED',
      'ORDER_DELIVERED',
    ]);

    const got = await messagesFor(rows.map((row) => row.id));
    expect(new Set(got.map((r) => `${r.topic}/${r.partition}`)).size).toBe(1);
    const inOffsetOrder = [...got].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    expect(inOffsetOrder.map((r) => headersOf(r.message).id)).toEqual(rows.map((row) => row.id));
    expect(
      inOffsetOrder.map((r) => (parseOutboxEvent(r.message).payload as { version: number }).version),
    ).toEqual([0, 1, 2, 3, 4]);
    // Each event arrived once.
    expect(got).toHaveLength(rows.length);
  });

  it('publish nothing for outbox updates and deletes (skipped.operations), e.g. the cleanup', async () => {
    const productId = `${RUN}-p5`;
    await createTestItem(dbs.inventoryDb, productId, 10);
    const orderId = randomUUID();
    await reserveStock(dbs.inventoryDb, orderId, [{ productId, quantity: 1 }]);
    const [row] = await inventoryOutbox(dbs.inventoryDb, orderId);
    await messagesFor([row!.id]);

    await dbs.inventoryDb
      .$executeRaw`UPDATE outbox SET traceparent = ${TRACEPARENT} WHERE id = ${row!.id}::uuid`;
    await dbs.inventoryDb.$executeRaw`DELETE FROM outbox WHERE id = ${row!.id}::uuid`;
    // A later event of the same aggregate (same partition) arrives after anything the update or
    // delete would have produced.
    await releaseStock(dbs.inventoryDb, orderId);
    const [later] = await inventoryOutbox(dbs.inventoryDb, orderId, EventType.InventoryReleased);
    await messagesFor([later!.id]);
    const forRow = received.filter((r) => headersOf(r.message).id === row!.id);
    expect(forRow).toHaveLength(1);
    expect(received.filter((r) => r.message.value === null)).toEqual([]);
  });
});
