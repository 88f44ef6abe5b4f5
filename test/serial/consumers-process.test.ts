/**
 * The consumers process as a process: this file runs its own instances of
 * `node --import tsx consumers/main.ts` (CONSUMER_GROUPS=trackops-workflow-signals, metrics on a
 * free port) next to the stack's, so the workflow-signals group has two members. It checks that
 * they share the partitions, that SIGTERM leaves the group at once with offsets committed for what
 * was processed, and that a SIGKILL in the middle of a burst applies no event twice (one
 * processed_events row and one signal per event) once the survivors have taken over.
 *
 * The events are shipment reports produced straight to trackops.orders in the outbox wire format,
 * for confirmed orders whose sagas sit on a task queue no worker polls (signals still land in
 * their histories). Killing an instance stalls this group for up to its session timeout (30 s):
 * the stack's own workflow-signals member waits too, so this suite lives in test/serial and runs
 * after the others (it once stalled the DLQ suite's consumer past its wait in CI).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { AssignerProtocol, type Admin, type Producer } from 'kafkajs';
import { WORKFLOW_SIGNALS_CONSUMER } from '../../consumers/workflow-signals';
import { createOrdersDb, type Order, type OrdersDb } from '../../domain/orders/db';
import type { OrderShipmentEventPayload } from '../../events/payloads';
import { createTemporalClient } from '../../lib/temporal-client';
import { orderWorkflowId } from '../../workflows/contract';
import { readLog, signalGroup } from '../support/child-process';
import { sleep, terminateSagas, waitFor } from '../support/orders-e2e';
import {
  kafka as testKafka,
  metricValue,
  processedRows,
  signalsOf,
  startConsumersProcess,
  startSagaFor,
  type ConsumersProcess,
} from '../support/signals';
import { stackConfig, uniqueSuffix } from '../support/stack-env';

jest.setTimeout(240_000);

const RUN = `cproc-${uniqueSuffix()}`;
const QUEUE = `orders-cproc-idle-${RUN}`;
const TOPIC = 'trackops.orders';
const GROUP = WORKFLOW_SIGNALS_CONSUMER;
const ENV = { CONSUMER_GROUPS: GROUP };

let ordersDb: OrdersDb;
let temporal: Client;
let admin: Admin;
let producer: Producer;
const processes: ConsumersProcess[] = [];
const orderIds: string[] = [];

beforeAll(async () => {
  ordersDb = createOrdersDb(stackConfig.ORDERS_DATABASE_URL, 8);
  temporal = createTemporalClient(stackConfig.TEMPORAL_ADDRESS, stackConfig.TEMPORAL_NAMESPACE);
  const kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  try {
    for (const proc of processes) signalGroup(proc, 'SIGTERM');
    await Promise.race([Promise.allSettled(processes.map((p) => p.exited)), sleep(15_000)]);
    for (let i = 0; i < orderIds.length; i += 10) await terminateSagas(temporal, orderIds.slice(i, i + 10));
    await ordersDb.order.deleteMany({ where: { customerId: { startsWith: RUN } } });
  } finally {
    for (const proc of processes) signalGroup(proc, 'SIGKILL');
    await Promise.allSettled([
      producer.disconnect(),
      admin.disconnect(),
      temporal.connection.close(),
      ordersDb.$disconnect(),
    ]);
  }
}, 120_000);

/** `count` CONFIRMED orders, each with a saga on the idle queue. */
async function confirmedOrders(label: string, count: number): Promise<Order[]> {
  await ordersDb.$executeRawUnsafe(
    `INSERT INTO orders (id, customer_id, status, total_amount, street_address, city, postal_code, country, version)
     SELECT gen_random_uuid(), $1 || '-' || g, 'CONFIRMED', 1.00, '1 Test Street', 'Testville', '1011AA', 'NL', 1
       FROM generate_series(1, $2::int) AS g`,
    `${RUN}-${label}`,
    count,
  );
  const orders = await ordersDb.order.findMany({ where: { customerId: { startsWith: `${RUN}-${label}-` } } });
  // In small chunks: the stack's Temporal dev server serves every other suite at the same time.
  for (let i = 0; i < orders.length; i += 10) {
    await Promise.all(
      orders
        .slice(i, i + 10)
        .map((o) => startSagaFor(temporal, o, QUEUE, [{ productId: 'none', quantity: 1 }])),
    );
  }
  orderIds.push(...orders.map((o) => o.id));
  return orders;
}

interface Produced {
  eventId: string;
  orderId: string;
  partition: number;
  offset: bigint;
}

/** One SHIPPED report per order, in the outbox wire format, each with the offset it got. */
async function produceShipments(orders: Order[]): Promise<Produced[]> {
  const produced: Produced[] = [];
  for (let i = 0; i < orders.length; i += 20) {
    await Promise.all(
      orders.slice(i, i + 20).map(async (order) => {
        const eventId = randomUUID();
        const [meta] = await producer.send({
          topic: TOPIC,
          acks: -1,
          messages: [
            {
              key: order.id,
              value: JSON.stringify({
                orderId: order.id,
                customerId: order.customerId,
                shipmentEventId: randomUUID(),
                carrier: 'test',
                carrierEventId: eventId,
                status: 'SHIPPED',
                trackingNumber: null,
                occurredAt: new Date().toISOString(),
              } satisfies OrderShipmentEventPayload),
              headers: {
                id: eventId,
                eventType: 'ORDER_SHIPMENT_EVENT',
                aggregateType: 'orders',
                aggregateId: order.id,
                schemaVersion: '1',
                occurredAt: new Date().toISOString(),
              },
            },
          ],
        });
        produced.push({
          eventId,
          orderId: order.id,
          partition: meta!.partition,
          offset: BigInt(meta!.baseOffset!),
        });
      }),
    );
  }
  return produced;
}

interface Member {
  memberId: string;
  partitions: number[];
}

async function members(): Promise<Member[]> {
  const { groups } = await admin.describeGroups([GROUP]);
  return (groups[0]?.members ?? []).map((m) => {
    const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
    return { memberId: m.memberId, partitions: [...(decoded?.assignment[TOPIC] ?? [])].sort() };
  });
}

const processedCount = async (events: Produced[]) =>
  (
    await processedRows(
      ordersDb,
      GROUP,
      events.map((e) => e.eventId),
    )
  ).length;

/** Every produced event processed, and every saga signalled exactly once. */
async function expectAppliedOnce(events: Produced[]) {
  await waitFor(
    `all ${events.length} events to be processed`,
    async () => ((await processedCount(events)) === events.length ? true : undefined),
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
  const counts: number[] = [];
  for (let i = 0; i < events.length; i += 10) {
    counts.push(
      ...(await Promise.all(
        events
          .slice(i, i + 10)
          .map(async (e) => (await signalsOf(temporal, orderWorkflowId(e.orderId), 'advanceStatus')).length),
      )),
    );
  }
  expect(counts.filter((c) => c !== 1)).toEqual([]);
}

/** Starts an instance and waits until the group has rebalanced with it in. */
async function joinInstance(label: string): Promise<{ proc: ConsumersProcess; member: Member }> {
  const before = new Set((await members()).map((m) => m.memberId));
  const proc = await startConsumersProcess(label, ENV);
  processes.push(proc);
  const member = await waitFor(
    `${label} to be assigned partitions`,
    async () => {
      const now = await members();
      const mine = now.find((m) => !before.has(m.memberId));
      return mine && mine.partitions.length > 0 ? mine : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  return { proc, member };
}

it('shares the partitions with the other instance, and on SIGTERM commits what it processed and leaves', async () => {
  const { proc, member } = await joinInstance('cproc-term');
  const all = await members();
  // Two instances (the stack's and this one) split the three partitions between them.
  expect(all.length).toBeGreaterThanOrEqual(2);
  const assigned = all.flatMap((m) => m.partitions).sort();
  expect(assigned).toEqual([0, 1, 2]);
  expect(member.partitions.length).toBeLessThan(3);

  const orders = await confirmedOrders('term', 150);
  const events = await produceShipments(orders);
  await waitFor('the instance to process some events', async () =>
    (await metricValue(proc, 'trackops_consumer_processed_total', [`consumer="${GROUP}"`])) >= 10
      ? true
      : undefined,
  );
  const termAt = new Date();
  signalGroup(proc, 'SIGTERM');
  const exit = await proc.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(readLog(proc)).toContain('consumers stopped');

  // It left the group (a crashed member would linger for the 30 s session timeout).
  expect((await members()).map((m) => m.memberId)).not.toContain(member.memberId);

  // Committed offsets match what it processed: everything below the committed offset is applied,
  // and nothing at or above it was applied before the shutdown began.
  const [offsets] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  const committed = new Map(offsets!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
  const rows = new Map(
    (
      await processedRows(
        ordersDb,
        GROUP,
        events.map((e) => e.eventId),
      )
    ).map((r) => [r.eventId, r.processedAt]),
  );
  const mine = events.filter((e) => member.partitions.includes(e.partition));
  expect(mine.length).toBeGreaterThan(0);
  const below = mine.filter((e) => e.offset < committed.get(e.partition)!);
  expect(below.length).toBeGreaterThan(0);
  expect(below.filter((e) => !rows.has(e.eventId))).toEqual([]);
  const appliedEarlyButUncommitted = mine.filter(
    (e) =>
      e.offset >= committed.get(e.partition)! &&
      (rows.get(e.eventId)?.getTime() ?? Infinity) < termAt.getTime(),
  );
  expect(appliedEarlyButUncommitted).toEqual([]);

  // The other instance takes over and finishes; nothing is applied twice.
  await expectAppliedOnce(events);
});

it('applies no event twice when an instance is killed in the middle of a burst', async () => {
  const { proc } = await joinInstance('cproc-kill-1');
  const orders = await confirmedOrders('kill', 150);
  const events = await produceShipments(orders);
  await waitFor(
    'the instance to be in the middle of its share',
    async () =>
      (await metricValue(proc, 'trackops_consumer_processed_total', [`consumer="${GROUP}"`])) >= 10
        ? true
        : undefined,
    { intervalMs: 50 },
  );
  signalGroup(proc, 'SIGKILL');
  expect((await proc.exited).signal).toBe('SIGKILL');
  const atKill = await processedCount(events);
  expect(atKill).toBeLessThan(events.length);
  console.info(`killed with ${atKill}/${events.length} events processed`);

  // The dead member's partitions are handed to the survivor once its session expires (30 s); the
  // uncommitted rest of them is delivered again. (Starting the new instance right away would make
  // the whole group wait for that expiry in the rebalance, the survivor's partitions too.)
  await expectAppliedOnce(events);

  // Started again, an instance joins and takes its share.
  const { proc: again, member } = await joinInstance('cproc-kill-2');
  expect(member.partitions.length).toBeGreaterThan(0);
  const more = await produceShipments(await confirmedOrders('kill2', 30));
  await expectAppliedOnce(more);
  signalGroup(again, 'SIGTERM');
  expect(await again.exited).toEqual({ code: 0, signal: null });
});
