/**
 * Dead-letter queues on the running stack. A poison message on trackops.orders (not an outbox event
 * at all) and a carrier report the workflow-signals consumer cannot apply yet (its order is not
 * confirmed: retried, then dead-lettered) land on trackops.orders.dlq with every dlq-* header,
 * while a later message on the same partition is still applied. Once the cause is fixed (a worker
 * confirms the order), `trackops dlq replay` publishes the report again and it is applied once.
 * `trackops dlq list|show` count and show it, `GET /api/dlq` counts, `dlq purge` empties a topic.
 *
 * The shared DLQ topics hold other suites' messages too, so the CLI runs with `--group` set to a
 * group of this run whose offsets start at this run's message; the real replay group is untouched.
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Admin, Producer } from 'kafkajs';
import { staffRequest as request } from '../support/auth';
import type { ApiDependencies } from '../../api/dependencies';
import { errorHandler } from '../../api/errors';
import { createDlqRouter } from '../../api/routes/dlq';
import { countDlq, type DlqEntry, type DlqTopicCount } from '../../messaging/dlq/dlq';
import { WORKFLOW_SIGNALS_CONSUMER } from '../../consumers/workflow-signals';
import type { Order } from '../../domain/orders/db';
import { createLogger } from '../../lib/logger';
import { orderWorkflowId } from '../../workflows/contract';
import { createPendingOrder, createTestItem, ordersOutbox, testRunId } from '../support/db';
import {
  closeStackClients,
  createStackClients,
  http,
  waitFor,
  waitForOrderStatus,
} from '../support/orders-e2e';
import {
  kafka as testKafka,
  partitionOf,
  processedRows,
  runCli,
  signalsOf,
  startSagaFor,
  TopicWatcher,
  type SeenMessage,
} from '../support/signals';
import { stackConfig } from '../support/stack-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

const RUN = testRunId('dlq');
const QUEUE = `orders-dlq-${RUN}`;
const IDLE_QUEUE = `orders-dlq-idle-${RUN}`;
const TOPIC = 'trackops.orders';
const DLQ = 'trackops.orders.dlq';
const TEST_GROUP = `trackops-dlq-replay-test-${RUN}`;
const product = `${RUN}-p`;

const stack = createStackClients(6);
const { ordersDb, temporal } = stack;
let admin: Admin;
let producer: Producer;
let watcher: TopicWatcher;
const workers: WorkerProcess[] = [];
const extraTopics: string[] = [];

beforeAll(async () => {
  const kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
  watcher = await new TopicWatcher([TOPIC, DLQ]).start();
  await createTestItem(stack.inventoryDb, product, 100);
}, 60_000);

afterAll(async () => {
  try {
    await Promise.allSettled(workers.map((w) => stopWorkerProcess(w, 5000)));
    await admin.deleteGroups([TEST_GROUP]).catch(() => undefined);
    if (extraTopics.length > 0) await admin.deleteTopics({ topics: extraTopics }).catch(() => undefined);
    await closeStackClients(stack, RUN);
  } finally {
    await Promise.allSettled([watcher.stop(), producer.disconnect(), admin.disconnect()]);
  }
}, 60_000);

let seq = 0;
async function orderOnQueue(queue: string, status?: 'CONFIRMED'): Promise<Order> {
  const items = [{ productId: product, quantity: 1 }];
  const order = await createPendingOrder(stack, `${RUN}-c${++seq}`, items);
  if (status) await ordersDb.order.update({ where: { id: order.id }, data: { status, version: 1 } });
  await startSagaFor(temporal, order, queue, items);
  return order;
}

const shipmentEventId = async (orderId: string) => {
  const [row] = await ordersOutbox(ordersDb, orderId, 'ORDER_SHIPMENT_EVENT');
  if (!row) throw new Error(`no shipment event for ${orderId}`);
  return row.id;
};

const seenOnce = (what: string, find: () => SeenMessage[], count = 1, timeoutMs = 60_000) =>
  waitFor(what, async () => (find().length >= count ? find() : undefined), { timeoutMs });

it('parks poison messages on the DLQ with their headers, keeps the partition flowing, and replays once fixed', async () => {
  // A: its saga waits on a queue nobody polls yet, so the order stays PENDING.
  const a = await orderOnQueue(QUEUE);
  const partition = partitionOf(TOPIC, a.id);
  // B: confirmed, on the same partition, its saga idle (signals are still recorded in its history).
  let b: Order | undefined;
  for (let i = 0; i < 30 && !b; i++) {
    const candidate = await orderOnQueue(IDLE_QUEUE, 'CONFIRMED');
    if (partitionOf(TOPIC, candidate.id) === partition) b = candidate;
  }
  if (!b) throw new Error('no order on the same partition');

  // 1. Garbage: not an outbox event at all.
  const garbageKey = `${RUN}-garbage`;
  const [sent] = await producer.send({
    topic: TOPIC,
    acks: -1,
    messages: [{ key: garbageKey, value: 'this is {not json', partition }],
  });
  const [garbage] = await seenOnce('the garbage message on the DLQ', () =>
    watcher.seen.filter((m) => m.topic === DLQ && m.key === garbageKey),
  );
  // A copy carries no traceparent the original did not (the consumer's trace is not put on it).
  expect(garbage!.headers).toEqual({
    'dlq-error': 'outbox event without id or eventType header',
    'dlq-stack': expect.stringContaining('PermanentError') as unknown,
    'dlq-original-topic': TOPIC,
    'dlq-original-partition': String(partition),
    'dlq-original-offset': sent!.baseOffset,
    'dlq-attempts': '1',
    'dlq-consumer': WORKFLOW_SIGNALS_CONSUMER,
    'dlq-failed-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
  });
  expect(garbage!.value).toBe('this is {not json');

  // 2. A report for A, not confirmed yet, then one for B behind it on the same partition.
  expect(
    (
      await http('POST', '/api/carrier/events', {
        orderId: a.id,
        status: 'SHIPPED',
        carrier: 'dhl',
        eventId: `${RUN}-a`,
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await http('POST', '/api/carrier/events', {
        orderId: b.id,
        status: 'SHIPPED',
        carrier: 'dhl',
        eventId: `${RUN}-b`,
      })
    ).status,
  ).toBe(201);
  const aEvent = await shipmentEventId(a.id);
  const bEvent = await shipmentEventId(b.id);
  const [original] = await seenOnce('A on trackops.orders', () => watcher.withHeader('id', aEvent, TOPIC));
  expect(original!.partition).toBe(partition);

  const [parked] = await seenOnce('A on the DLQ', () => watcher.withHeader('id', aEvent, DLQ), 1, 60_000);
  expect(parked!.headers).toMatchObject({
    ...original!.headers,
    'dlq-error': `order ${a.id} is not confirmed yet; the carrier event waits`,
    'dlq-original-topic': TOPIC,
    'dlq-original-partition': String(partition),
    'dlq-original-offset': original!.offset,
    'dlq-attempts': '6',
    'dlq-consumer': WORKFLOW_SIGNALS_CONSUMER,
  });
  expect({ key: parked!.key, value: parked!.value }).toEqual({ key: original!.key, value: original!.value });

  // B, behind A on the partition, is applied anyway (after A gave up its retries).
  const [bDone] = await waitFor(
    'B to be applied',
    async () => {
      const rows = await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, [bEvent]);
      return rows.length === 1 ? rows : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(bDone!.processedAt.getTime()).toBeGreaterThanOrEqual(
    Date.parse(parked!.headers['dlq-failed-at']!) - 1000,
  );
  expect((await signalsOf(temporal, orderWorkflowId(b.id), 'advanceStatus')).map((s) => s.arg)).toEqual([
    { newStatus: 'SHIPPED', source: 'carrier' },
  ]);
  expect(await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, [aEvent])).toEqual([]);

  // 3. The cause goes away: a worker now runs A's saga, which confirms the order.
  workers.push(await startWorkerProcess({ taskQueue: QUEUE, label: 'dlq-worker' }));
  await waitForOrderStatus(a.id, ['CONFIRMED'], 60_000);

  // This run's replay group starts at A's DLQ message (everything before it, and every other
  // partition, counts as done), so the CLI sees A and whatever came after it.
  const dlqOffsets = await admin.fetchTopicOffsets(DLQ);
  await admin.setOffsets({
    groupId: TEST_GROUP,
    topic: DLQ,
    partitions: dlqOffsets.map((p) => ({
      partition: p.partition,
      offset: p.partition === parked!.partition ? parked!.offset : p.high,
    })),
  });

  const listed = await runCli(['dlq', 'list', '--json', '--group', TEST_GROUP]);
  expect(listed.code).toBe(0);
  const counts = (JSON.parse(listed.stdout) as { topics: DlqTopicCount[] }).topics;
  const ordersDlq = counts.find((c) => c.topic === DLQ)!;
  expect(ordersDlq.originalTopic).toBe(TOPIC);
  const mine = ordersDlq.partitions.find((p) => p.partition === parked!.partition)!;
  expect(mine.committed).toBe(parked!.offset);
  expect(mine.start).toBe(parked!.offset);
  expect(mine.pending).toBe(Number(BigInt(mine.high) - BigInt(parked!.offset)));
  expect(ordersDlq.pending).toBeGreaterThanOrEqual(1);
  const table = await runCli(['dlq', 'list', '--group', TEST_GROUP]);
  expect(table.stdout).toMatch(new RegExp(`^${DLQ.replace(/\./g, '\\.')}\\s+\\d+\\s+\\d+`, 'm'));

  const shown = await runCli(['dlq', 'show', TOPIC, '--json', '--limit', '1', '--group', TEST_GROUP]);
  expect(shown.code).toBe(0);
  const [entry] = (JSON.parse(shown.stdout) as { entries: DlqEntry[] }).entries;
  expect(entry).toMatchObject({
    dlqTopic: DLQ,
    partition: parked!.partition,
    offset: parked!.offset,
    key: a.id,
    error: `order ${a.id} is not confirmed yet; the carrier event waits`,
    originalTopic: TOPIC,
    originalPartition: partition,
    originalOffset: original!.offset,
    attempts: 6,
    consumer: WORKFLOW_SIGNALS_CONSUMER,
    headers: { id: aEvent, eventType: 'ORDER_SHIPMENT_EVENT', aggregateType: 'orders', aggregateId: a.id },
  });
  expect(entry!.valuePreview).toContain(`"orderId":"${a.id}"`);
  const text = await runCli(['dlq', 'show', DLQ, '--limit', '1', '--group', TEST_GROUP]);
  expect(text.stdout).toContain(`error:     order ${a.id} is not confirmed yet`);

  // 4. Replay: A goes back to trackops.orders as it was, and is applied once.
  const replayed = await runCli(['dlq', 'replay', TOPIC, '--limit', '1', '--group', TEST_GROUP]);
  expect(replayed.stderr).toBe('');
  expect(replayed.code).toBe(0);
  expect(replayed.stdout).toContain(
    `replayed ${DLQ}[${parked!.partition}]@${parked!.offset} -> ${TOPIC}[${partition}]`,
  );
  const [, again] = await seenOnce(
    'A back on trackops.orders',
    () => watcher.withHeader('id', aEvent, TOPIC),
    2,
  );
  expect(again).toMatchObject({
    partition,
    key: original!.key,
    value: original!.value,
    headers: original!.headers,
  });
  await waitForOrderStatus(a.id, ['SHIPPED'], 60_000);
  // The consumer records the event right after its signal, so the order can be SHIPPED a moment before.
  const processed = await waitFor('A recorded as processed', async () => {
    const rows = await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, [aEvent]);
    return rows.length > 0 ? rows : undefined;
  });
  expect(processed).toHaveLength(1);
  expect((await signalsOf(temporal, orderWorkflowId(a.id), 'advanceStatus')).map((s) => s.arg)).toEqual([
    { newStatus: 'SHIPPED', source: 'carrier' },
  ]);
  const after = await countDlq(admin, DLQ, { group: TEST_GROUP });
  expect(after.partitions.find((p) => p.partition === parked!.partition)!.committed).toBe(
    String(BigInt(parked!.offset) + 1n),
  );
}, 240_000);

it('GET /api/dlq counts every DLQ topic', async () => {
  const app = express()
    .use('/api/dlq', createDlqRouter({ config: stackConfig } as ApiDependencies))
    .use(errorHandler(createLogger('test', 'silent')));
  const response = await request(app).get('/api/dlq');
  expect(response.status).toBe(200);
  const body = response.body as { group: string; totalPending: number; topics: DlqTopicCount[] };
  expect(body.group).toBe('trackops-dlq-replay');
  const topics = body.topics.map((t) => t.topic);
  expect(topics).toEqual(
    expect.arrayContaining(['trackops.orders.dlq', 'trackops.inventory.dlq', 'trackops.payments.dlq']),
  );
  expect(topics.every((t) => t.endsWith('.dlq'))).toBe(true);
  expect(body.totalPending).toBe(body.topics.reduce((sum, t) => sum + t.pending, 0));
  const ordersDlq = body.topics.find((t) => t.topic === DLQ)!;
  // This run parked at least two messages there, which the real replay group has not replayed.
  expect(ordersDlq.pending).toBeGreaterThanOrEqual(2);
  for (const p of ordersDlq.partitions) {
    expect(p.pending).toBe(Number(BigInt(p.high) - BigInt(p.start)));
    expect(p.retained).toBe(Number(BigInt(p.high) - BigInt(p.low)));
  }
});

it('dlq purge needs --yes, then deletes what the topic holds', async () => {
  const topic = `trackops-test-${RUN}.dlq`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
  });
  extraTopics.push(topic);
  await producer.send({
    topic,
    acks: -1,
    messages: [0, 1, 2].map((i) => ({
      key: `k${i}`,
      value: `v${i}`,
      partition: i % 2,
      headers: { 'dlq-error': 'x' },
    })),
  });
  expect((await countDlq(admin, topic)).pending).toBe(3);

  const refused = await runCli(['dlq', 'purge', topic]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('--yes');
  expect((await countDlq(admin, topic)).retained).toBe(3);

  const purged = await runCli(['dlq', 'purge', topic, '--yes']);
  expect(purged.code).toBe(0);
  expect(purged.stdout).toContain(`purged 3 message(s) from ${topic}; pending now 0`);
  const after = await countDlq(admin, topic);
  expect({ pending: after.pending, retained: after.retained }).toEqual({ pending: 0, retained: 0 });

  const unknown = await runCli(['dlq', 'show', `no-such-${randomUUID()}`]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no such dead-letter topic');
}, 120_000);
