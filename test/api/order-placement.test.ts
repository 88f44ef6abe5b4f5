/**
 * The start path on the real stack: `POST /api/orders` starts the order's saga with update-with-start
 * and the saga's first step writes the order. What happens when the saga cannot write it, when the
 * client retries after its saga has ended, and when the key belongs to an order written before v3.
 */
import { randomUUID } from 'node:crypto';
import { staffRequest as request } from '../support/auth';
import { createApp } from '../../api/app';
import type { ApiDependencies } from '../../api/dependencies';
import { orderIdFor, requestFingerprint } from '../../domain/orders/place-order';
import type { OrderView } from '../../domain/orders/order-view';
import type { AppConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { orderWorkflowId } from '../../workflows/contract';
import { testRunId } from '../support/db';
import {
  closeStackClients,
  createStackClients,
  testAddress,
  waitFor,
  type ErrorBody,
} from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

const RUN = testRunId('placing');
const QUEUE = `orders-placing-${RUN}`;
const PRODUCT = `${RUN}-P`;
const config: AppConfig = {
  ...stackConfig,
  TEMPORAL_TASK_QUEUE: QUEUE,
  LOG_LEVEL: 'silent',
  ORDER_PLACEMENT_TIMEOUT: '5s',
};

const stack = createStackClients(6);
const { ordersDb, temporal } = stack;
const deps: ApiDependencies = { config, logger: createLogger('placement-test', 'silent'), ...stack };
const app = createApp(deps);
const workers: WorkerProcess[] = [];
/** The suite's worker that reaches the stack's databases; the outage test replaces it for a while. */
let serving: WorkerProcess;

const orderBody = (overrides: Record<string, unknown> = {}) => ({
  customerId: `${RUN}-c-${randomUUID().slice(0, 8)}`,
  items: [{ productId: PRODUCT, quantity: 1 }],
  address: testAddress(),
  ...overrides,
});

async function startWorker(label: string, env: Record<string, string> = {}) {
  const worker = await startWorkerProcess({ taskQueue: QUEUE, label, env });
  workers.push(worker);
  return worker;
}

const rowsOf = (customerId: string) => ordersDb.order.findMany({ where: { customerId } });

beforeAll(async () => {
  await request(app)
    .post('/api/inventory/items')
    .send({ productId: PRODUCT, productName: 'Placement widget', availableQuantity: 100, unitPrice: '5.00' })
    .expect(201);
  serving = await startWorker('placing');
}, 150_000);

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => stopWorkerProcess(w, 5_000)));
  await closeStackClients(stack, RUN);
}, 60_000);

it('a retry after the saga has ended is answered from the database, starting no second saga', async () => {
  const key = `key-${randomUUID()}`;
  const body = orderBody({ paymentMethod: 'tok_chargeDeclined' });
  const first = await request(app).post('/api/orders').set('Idempotency-Key', key).send(body).expect(201);
  const order = first.body as OrderView;
  const handle = temporal.workflow.getHandle(orderWorkflowId(order.id));
  await handle.result();
  expect((await ordersDb.order.findUniqueOrThrow({ where: { id: order.id } })).status).toBe('CANCELLED');

  const retried = await request(app).post('/api/orders').set('Idempotency-Key', key).send(body);
  expect(retried.status).toBe(201);
  expect(retried.headers['idempotent-replayed']).toBe('true');
  expect(retried.body).toMatchObject({
    id: order.id,
    status: 'CANCELLED',
    cancellationReason: 'PAYMENT_DECLINED',
  });
  // A completed run is never run again (ALLOW_DUPLICATE_FAILED_ONLY): it stays the only one.
  const runs = temporal.workflow.list({ query: `WorkflowId = '${orderWorkflowId(order.id)}'` });
  let count = 0;
  for await (const _run of runs) count += 1;
  expect(count).toBe(1);
  expect(await rowsOf(body.customerId)).toHaveLength(1);
}, 60_000);

it('a key held by an order written before v3 (another id) is answered with that order; its saga ends with nothing written', async () => {
  const key = `key-${randomUUID()}`;
  const body = orderBody();
  // Before v3 the API wrote orders with a random id, whatever the key.
  const legacy = await request(app).post('/api/orders').send(body).expect(201);
  const legacyId = (legacy.body as OrderView).id;
  const fingerprint = (await ordersDb.order.findUniqueOrThrow({ where: { id: legacyId } }))
    .requestFingerprint;
  expect(fingerprint).toBeNull();
  await ordersDb.order.update({
    where: { id: legacyId },
    data: { idempotencyKey: key, requestFingerprint: requestFingerprint({ ...body, idempotencyKey: key }) },
  });

  const replay = await request(app).post('/api/orders').set('Idempotency-Key', key).send(body);
  expect(replay.status).toBe(201);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect((replay.body as OrderView).id).toBe(legacyId);

  // The saga named after the key found the key taken: it failed without writing an order.
  const derived = orderIdFor(key);
  expect(derived).not.toBe(legacyId);
  await expect(temporal.workflow.getHandle(orderWorkflowId(derived)).result()).rejects.toThrow();
  expect(await ordersDb.order.findUnique({ where: { id: derived } })).toBeNull();
  expect(await rowsOf(body.customerId)).toHaveLength(1);

  // Retrying again starts a new run of that failed saga (a failed run does not hold the id), which
  // finds the key taken again: the client keeps getting the earlier order, never a 503.
  const again = await request(app).post('/api/orders').set('Idempotency-Key', key).send(body);
  expect(again.status).toBe(201);
  expect((again.body as OrderView).id).toBe(legacyId);
  expect(await rowsOf(body.customerId)).toHaveLength(1);

  // Once the key is free (the legacy order no longer holds it), the same key places a new order.
  await ordersDb.order.update({ where: { id: legacyId }, data: { idempotencyKey: null } });
  const placed = await request(app).post('/api/orders').set('Idempotency-Key', key).send(body);
  expect(placed.status).toBe(201);
  expect(placed.headers['idempotent-replayed']).toBeUndefined();
  expect((placed.body as OrderView).id).toBe(derived);
}, 60_000);

it('a saga that cannot reach its database writes nothing, the client gets 503, and its retry gets the one order', async () => {
  // The worker's orders database is a port where nothing listens: placing the order fails and retries.
  await stopWorkerProcess(serving, 5_000);
  const cut = await startWorker('placing-no-db', {
    ORDERS_DATABASE_URL: 'postgresql://trackops_orders:trackops@127.0.0.1:1/trackops_orders',
  });
  const key = `key-${randomUUID()}`;
  const body = orderBody();
  const refused = await request(app).post('/api/orders').set('Idempotency-Key', key).send(body);
  expect(refused.status).toBe(503);
  expect((refused.body as ErrorBody).message).toMatch(/retry/i);
  // Nothing from upstream reaches the client.
  expect(JSON.stringify(refused.body)).not.toMatch(/7233|deadline|grpc/i);
  expect(refused.headers['retry-after']).toBe('1');
  expect(await rowsOf(body.customerId)).toEqual([]);

  const handle = temporal.workflow.getHandle(orderWorkflowId(orderIdFor(key)));
  expect((await handle.describe()).status.name).toBe('RUNNING');

  // The database comes back (a worker that reaches it takes over the saga): the saga places the
  // order it was started for, once, and the client's retry with the same key is answered with it.
  await stopWorkerProcess(cut, 5_000);
  serving = await startWorker('placing-db-back');
  const placed = await waitFor(
    'the saga to place its order',
    async () => (await rowsOf(body.customerId))[0],
    { timeoutMs: 60_000 },
  );
  expect(placed.id).toBe(orderIdFor(key));
  const retried = await request(app).post('/api/orders').set('Idempotency-Key', key).send(body);
  expect(retried.status).toBe(201);
  expect(retried.headers['idempotent-replayed']).toBe('true');
  expect((retried.body as OrderView).id).toBe(placed.id);
  expect(await rowsOf(body.customerId)).toHaveLength(1);
  expect(await ordersDb.outboxEvent.count({ where: { aggregateId: placed.id, type: 'ORDER_CREATED' } })).toBe(
    1,
  );
}, 150_000);
