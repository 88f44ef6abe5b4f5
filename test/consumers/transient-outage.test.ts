/**
 * A dependency outage longer than the old retry budget (5 attempts, about 1.5-8 s) parks nothing:
 * the restock-signals consumer, run by ConsumerRunner on the real broker (a topic and group of this
 * run's own), keeps retrying the message in place until its dependencies are back, and the restock
 * lands in the real saga's history and processed_events exactly once, with nothing on the DLQ.
 *
 * The outages are real connection failures: while one lasts, the consumer's Temporal client or
 * orders database is a client of the same kind pointed at a local port where nothing listens
 * (Temporal's without the SDK's own gRPC retries, so each attempt fails at once); otherwise it is
 * the stack's. Temporal is down first (the signal fails); the database goes down the moment the
 * first signal gets through, so recording processed_events fails after the effect, and the retry
 * that follows must not signal twice. A message on the other partition is committed meanwhile.
 *
 * A runner stopped while its partition is paused for half a minute stops at once, leaves the message uncommitted and
 * dead-letters nothing; the next runner of the group applies it. (A permanent error still goes to
 * the DLQ at the first attempt: test/consumers/schema-violation.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import type { Admin, Producer } from 'kafkajs';
import pino from 'pino';
import { RESTOCK_SIGNALS_CONSUMER, restockSignalsConsumer } from '../../consumers/restock-signals';
import { ConsumerRunner, type ConsumerDefinition } from '../../consumers/runtime/consumer-runner';
import type { Backoff } from '../../consumers/runtime/retry';
import { createOrdersDb, type OrdersDb } from '../../domain/orders/db';
import type { InventoryRestockedPayload } from '../../events/payloads';
import type { Logger } from '../../lib/logger';
import { createTemporalClient } from '../../lib/temporal-client';
import { dlqTopicOf } from '../../messaging/dlq/topics';
import { orderWorkflowId } from '../../workflows/contract';
import { closeTestDbs, createPendingOrder, createTestDbs, createTestItem, testRunId } from '../support/db';
import { terminateSagas, waitFor } from '../support/orders-e2e';
import { kafka as testKafka, processedRows, signalsOf, startSagaFor, TopicWatcher } from '../support/signals';
import { stackConfig } from '../support/stack-env';

jest.setTimeout(120_000);

const RUN = testRunId('outage');
const TOPIC = `trackops.test.transient-outage-${RUN}`;
const DLQ = dlqTopicOf(TOPIC);
const GROUP = `trackops-test-transient-outage-${RUN}`;
const QUEUE = `orders-outage-idle-${RUN}`;
const PRODUCT = `${RUN}-p`;
const TEMPORAL_OUTAGE_MS = 6000;
const DATABASE_OUTAGE_MS = 12_000;
/** The old runner's retries before it dead-lettered: 5 attempts (6 for workflow-signals). */
const OLD_RETRY_BUDGET_MS = 8000;
/** The production cap is 30 s; a shorter one keeps the wait after recovery short here. */
const SHORT_BACKOFF: Backoff = { initialDelayMs: 200, maxDelayMs: 2000 };
/** A pause far longer than a shutdown may take, to show that stopping does not wait for it. */
const LONG_BACKOFF: Backoff = { initialDelayMs: 30_000, maxDelayMs: 30_000 };
/**
 * kafkajs leaves the group once its fetch under way returns (a long poll of up to maxWaitTime,
 * 5 s); a runner that waited out its pause would take at least 15 s.
 */
const PROMPT_STOP_MS = 10_000;

const kafka = testKafka();
const dbs = createTestDbs(2);
let temporal: Client;
let admin: Admin;
let producer: Producer;
let watcher: TopicWatcher;
const orderIds: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

/** A local port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The object `pick()` names at each property read: an outage's client or the real one. */
function switching<T extends object>(pick: () => T): T {
  return new Proxy({} as T, {
    get(_, property) {
      const target = pick();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A logger that keeps what it writes, to count the consumer's warnings. */
function recordingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), lines: () => lines };
}

const dependencyWarnings = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => String(line.msg).startsWith('dependency unavailable'));

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: TOPIC, numPartitions: 2 },
      { topic: DLQ, numPartitions: 1 },
    ],
  });
  producer = kafka.producer();
  await producer.connect();
  watcher = await new TopicWatcher([DLQ]).start();
  temporal = createTemporalClient(stackConfig.TEMPORAL_ADDRESS, stackConfig.TEMPORAL_NAMESPACE);
  await createTestItem(dbs.inventoryDb, PRODUCT, 0);
});

afterAll(async () => {
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
  await terminateSagas(temporal, orderIds);
  await watcher?.stop();
  await admin.deleteGroups([GROUP]).catch(() => undefined);
  await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
  await Promise.allSettled([producer?.disconnect(), admin?.disconnect(), temporal?.connection.close()]);
  await closeTestDbs(dbs, RUN);
});

/** A backordered order for PRODUCT whose saga runs on a queue no worker polls (signals are recorded). */
async function backorderWithSaga(): Promise<string> {
  const items = [{ productId: PRODUCT, quantity: 1 }];
  const created = await createPendingOrder(dbs, `${RUN}-c${orderIds.length}`, items);
  const order = await dbs.ordersDb.order.update({
    where: { id: created.id },
    data: { allowBackorder: true },
  });
  await startSagaFor(temporal, order, QUEUE, items);
  orderIds.push(order.id);
  return order.id;
}

function outboxMessage(eventType: string, partition: number, payload: unknown) {
  const id = randomUUID();
  return {
    id,
    message: {
      partition,
      key: PRODUCT,
      value: JSON.stringify(payload),
      headers: {
        id,
        eventType,
        aggregateType: 'inventory',
        aggregateId: PRODUCT,
        schemaVersion: '1',
        occurredAt: new Date().toISOString(),
      },
    },
  };
}

const restockOn = (partition: number) =>
  outboxMessage('INVENTORY_RESTOCKED', partition, {
    productId: PRODUCT,
    previousAvailable: 0,
    available: 5,
    added: 5,
  } satisfies InventoryRestockedPayload);

function runnerFor(
  deps: { ordersDb: OrdersDb; temporal: Client; logger: Logger },
  transientBackoff: Backoff,
): ConsumerRunner {
  const definition: ConsumerDefinition = {
    ...restockSignalsConsumer(deps),
    name: GROUP,
    topics: [TOPIC],
    transientBackoff,
  };
  const runner = new ConsumerRunner(kafka, producer, definition, deps.logger);
  cleanups.push(() => runner.stop());
  return runner;
}

async function committed(partition: number): Promise<string | undefined> {
  const [offsets] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  return offsets?.partitions.find((p) => p.partition === partition)?.offset;
}

it('retries through a Temporal then a database outage, applies the restock once, parks nothing', async () => {
  const orderId = await backorderWithSaga();
  const port = await closedPort();
  const downDb = createOrdersDb(`postgresql://trackops:trackops@127.0.0.1:${port}/trackops_orders`, 1);
  const downTemporal = new Client({
    connection: Connection.lazy({ address: `127.0.0.1:${port}`, interceptors: [] }),
    namespace: stackConfig.TEMPORAL_NAMESPACE,
  });
  cleanups.push(
    () => downDb.$disconnect(),
    () => downTemporal.connection.close(),
  );

  const started = Date.now();
  const temporalBackAt = started + TEMPORAL_OUTAGE_MS;
  let databaseBackAt = 0;
  let signalsThrough = 0;
  // The stack's Temporal, with the database outage starting once the first signal got through.
  const service = temporal.workflowService;
  const countingService = new Proxy(service, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as (...args: unknown[]) => Promise<unknown>;
      if (property !== 'signalWorkflowExecution') return value;
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        signalsThrough += 1;
        if (databaseBackAt === 0) databaseBackAt = Date.now() + DATABASE_OUTAGE_MS;
        return result;
      };
    },
  });
  const realTemporal = new Proxy(temporal, {
    get: (target, property) =>
      property === 'workflowService' ? countingService : (Reflect.get(target, property, target) as unknown),
  });
  const { logger, lines } = recordingLogger();
  const runner = runnerFor(
    {
      ordersDb: switching(() => (Date.now() < databaseBackAt ? downDb : dbs.ordersDb)),
      temporal: switching(() => (Date.now() < temporalBackAt ? downTemporal : realTemporal)),
      logger,
    },
    SHORT_BACKOFF,
  );
  await runner.start();

  const restock = restockOn(0);
  const elsewhere = outboxMessage('INVENTORY_RESERVED', 1, { productId: PRODUCT });
  await producer.send({ topic: TOPIC, acks: -1, messages: [restock.message, elsewhere.message] });

  // The other partition flows while this one waits.
  await waitFor('the other partition committed', async () =>
    (await committed(1)) === '1' ? true : undefined,
  );
  expect(await processedRows(dbs.ordersDb, RESTOCK_SIGNALS_CONSUMER, [restock.id])).toEqual([]);

  const [row] = await waitFor(
    'the restock recorded after both outages',
    async () => {
      const rows = await processedRows(dbs.ordersDb, RESTOCK_SIGNALS_CONSUMER, [restock.id]);
      return rows.length > 0 ? rows : undefined;
    },
    { timeoutMs: 60_000 },
  );
  const appliedAfterMs = Date.now() - started;
  expect(row).toBeDefined();
  await waitFor('the offset committed', async () => ((await committed(0)) === '1' ? true : undefined));

  // Both outages were met and outlasted the old budget; the signal went out twice, landed once.
  const warnings = dependencyWarnings(lines());
  const causes = warnings.map((w) => JSON.stringify(w.err));
  expect(causes.some((c) => c.includes('UNAVAILABLE'))).toBe(true);
  expect(causes.some((c) => c.includes('P1001'))).toBe(true);
  // Failing for longer than the old runner's budget, after which it had dead-lettered.
  const failingMs = Number(warnings[warnings.length - 1]?.time) - Number(warnings[0]?.time);
  expect(failingMs).toBeGreaterThan(OLD_RETRY_BUDGET_MS);
  expect(appliedAfterMs).toBeGreaterThan(TEMPORAL_OUTAGE_MS + DATABASE_OUTAGE_MS);
  expect(signalsThrough).toBeGreaterThanOrEqual(2);
  const signals = await signalsOf(temporal, orderWorkflowId(orderId), 'restock');
  expect(signals.map((s) => s.arg)).toEqual([{ productId: PRODUCT }]);
  expect(await processedRows(dbs.ordersDb, RESTOCK_SIGNALS_CONSUMER, [restock.id])).toHaveLength(1);
  expect(watcher.seen.filter((m) => m.topic === DLQ)).toEqual([]);
  console.log(
    `outage: Temporal ${TEMPORAL_OUTAGE_MS} ms then orders database ${DATABASE_OUTAGE_MS} ms; ` +
      `applied after ${appliedAfterMs} ms, ${warnings.length} failed attempts over ${failingMs} ms, ` +
      `${signalsThrough} signal calls through`,
  );
  await runner.stop();
});

it('stops at once while waiting out an outage, commits and parks nothing; the next runner applies it', async () => {
  const orderId = await backorderWithSaga();
  const port = await closedPort();
  const downDb = createOrdersDb(`postgresql://trackops:trackops@127.0.0.1:${port}/trackops_orders`, 1);
  cleanups.push(() => downDb.$disconnect());
  const before = await committed(0);
  const { logger, lines } = recordingLogger();
  const waiting = runnerFor({ ordersDb: downDb, temporal, logger }, LONG_BACKOFF);
  await waiting.start();
  const restock = restockOn(0);
  await producer.send({ topic: TOPIC, acks: -1, messages: [restock.message] });
  await waitFor('the first failure, its partition paused', async () =>
    dependencyWarnings(lines()).length > 0 ? true : undefined,
  );
  expect(dependencyWarnings(lines())[0]).toMatchObject({ attempt: 1, offset: '1' });
  expect(dependencyWarnings(lines())[0]?.retryInMs).toBeGreaterThanOrEqual(15_000);

  const stopping = Date.now();
  await waiting.stop();
  const stopMs = Date.now() - stopping;
  expect(stopMs).toBeLessThan(PROMPT_STOP_MS);
  expect(await committed(0)).toBe(before);
  expect(watcher.withHeader('id', restock.id, DLQ)).toEqual([]);

  const next = runnerFor({ ordersDb: dbs.ordersDb, temporal, logger }, SHORT_BACKOFF);
  await next.start();
  await waitFor('the restock applied by the next runner', async () => {
    const rows = await processedRows(dbs.ordersDb, RESTOCK_SIGNALS_CONSUMER, [restock.id]);
    return rows.length > 0 ? rows : undefined;
  });
  const signals = await signalsOf(temporal, orderWorkflowId(orderId), 'restock');
  expect(signals.map((s) => s.arg)).toEqual([{ productId: PRODUCT }]);
  console.log(`stop during an outage took ${stopMs} ms`);
  await next.stop();
});
