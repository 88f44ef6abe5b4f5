/**
 * Both paths at once on the running stack: a carrier report's outbox row is delivered by Debezium
 * (CDC) and, at the same time, published by the fallback relay (POST /api/events/:id/process on
 * the stack's API). The two messages are the same (key, value, partition, contract headers), and
 * the workflow-signals consumer applies the event once: one processed_events row, one signal.
 */
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { parseOutboxEvent } from '../../consumers/runtime/outbox-event';
import { WORKFLOW_SIGNALS_CONSUMER } from '../../consumers/workflow-signals';
import type { Order } from '../../domain/orders/db';
import { createTemporalClient } from '../../lib/temporal-client';
import { orderWorkflowId } from '../../workflows/contract';
import { closeTestDbs, createPendingOrder, createTestDbs, createTestItem, testRunId } from '../support/db';
import { http, terminateSagas, waitFor } from '../support/orders-e2e';
import {
  kafka as testKafka,
  processedRows,
  signalsOf,
  startSagaFor,
  TopicWatcher,
  type SeenMessage,
} from '../support/signals';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('dedupe');
const QUEUE = `orders-dedupe-idle-${RUN}`;
const TOPIC = 'trackops.orders';
const CONTRACT_HEADERS = [
  'id',
  'eventType',
  'aggregateType',
  'aggregateId',
  'traceparent',
  'schemaVersion',
  'occurredAt',
];
const dbs = createTestDbs(4);
const { ordersDb } = dbs;
let temporal: Client;
let watcher: TopicWatcher;
let admin: Admin;
const orders: Order[] = [];
const product = `${RUN}-p`;

beforeAll(async () => {
  temporal = createTemporalClient(stackConfig.TEMPORAL_ADDRESS, stackConfig.TEMPORAL_NAMESPACE);
  watcher = await new TopicWatcher([TOPIC]).start();
  admin = testKafka().admin();
  await admin.connect();
  await createTestItem(dbs.inventoryDb, product, 10);
}, 60_000);

afterAll(async () => {
  await terminateSagas(
    temporal,
    orders.map((o) => o.id),
  );
  await closeTestDbs(dbs, RUN);
  await Promise.allSettled([watcher.stop(), admin.disconnect(), temporal.connection.close()]);
}, 60_000);

const contract = (m: SeenMessage) =>
  Object.fromEntries(
    CONTRACT_HEADERS.filter((h) => m.headers[h] !== undefined).map((h) => [h, m.headers[h]]),
  );

it.each([
  ['with a traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
  ['without a traceparent', undefined],
])(
  'applies an event delivered by CDC and by the relay once (%s)',
  async (_label, traceparent) => {
    const items = [{ productId: product, quantity: 1 }];
    const order = await createPendingOrder(dbs, `${RUN}-c${orders.length}`, items);
    orders.push(order);
    await ordersDb.order.update({ where: { id: order.id }, data: { status: 'CONFIRMED', version: 1 } });
    await startSagaFor(temporal, order, QUEUE, items);

    const posted = await http(
      'POST',
      '/api/carrier/events',
      { orderId: order.id, status: 'SHIPPED', carrier: 'dhl', eventId: `${RUN}-${orders.length}` },
      traceparent ? { traceparent } : {},
    );
    expect(posted.status).toBe(201);
    const [row] = await ordersDb.outboxEvent.findMany({
      where: { aggregateId: order.id, type: 'ORDER_SHIPMENT_EVENT' },
    });
    const relayed = await http<{ eventId: string; topic: string; partition: number; offset: string }>(
      'POST',
      `/api/events/${row!.id}/process`,
    );
    expect(relayed.status).toBe(200);
    expect(relayed.body).toMatchObject({ eventId: row!.id, topic: TOPIC });

    const both = await waitFor('the event from both paths', async () => {
      const seen = watcher.withHeader('id', row!.id, TOPIC);
      return seen.length >= 2 ? seen : undefined;
    });
    const fromRelay = both.find(
      (m) => m.offset === relayed.body.offset && m.partition === relayed.body.partition,
    )!;
    const fromCdc = both.find((m) => m !== fromRelay)!;
    // Identical, headers included (a NULL column is a null-valued header from CDC and an absent one
    // from the relay, which kafkajs cannot send; both read as absent).
    expect({
      partition: fromRelay.partition,
      key: fromRelay.key,
      value: fromRelay.value,
      headers: fromRelay.headers,
    }).toEqual({
      partition: fromCdc.partition,
      key: fromCdc.key,
      value: fromCdc.value,
      headers: fromCdc.headers,
    });
    expect(Object.keys(fromRelay.headers).sort()).toEqual(Object.keys(contract(fromRelay)).sort());
    expect(parseOutboxEvent(fromRelay.message)).toEqual(parseOutboxEvent(fromCdc.message));
    // The API continues the client's trace: the row carries a span of that trace (same trace id).
    const traceOf = (value: unknown) => String(value).slice(0, 36);
    if (traceparent) expect(traceOf(contract(fromCdc).traceparent)).toBe(traceOf(traceparent));

    await waitFor(
      'the event to be applied',
      async () =>
        (await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, [row!.id])).length === 1 ? true : undefined,
      { timeoutMs: 60_000 },
    );
    // Both copies consumed (the group's committed offset is past both), then count the effects.
    const last = both.reduce((max, m) => (BigInt(m.offset) > max ? BigInt(m.offset) : max), 0n);
    await waitFor(
      'the workflow-signals group to commit past both copies',
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: WORKFLOW_SIGNALS_CONSUMER, topics: [TOPIC] });
        const committed = offsets?.partitions.find((p) => p.partition === fromCdc.partition)?.offset ?? '-1';
        return BigInt(committed) > last ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, [row!.id])).toHaveLength(1);
    expect((await signalsOf(temporal, orderWorkflowId(order.id), 'advanceStatus')).map((s) => s.arg)).toEqual(
      [{ newStatus: 'SHIPPED', source: 'carrier' }],
    );
    const marked = await ordersDb.outboxEvent.findUniqueOrThrow({ where: { id: row!.id } });
    expect(marked.publishedAt).toBeInstanceOf(Date);
  },
  90_000,
);
