/**
 * /metrics of every process after real orders: an API built with createApp, a worker process and
 * a consumers process of this test's own (the stack's run older code and are not restarted). One
 * order confirms, one is declined (an activity failure, a compensation, a cancellation by reason),
 * one is cancelled by its customer; each series must exist and its counters must have moved.
 */
import { createApp } from '../../api/app';
import { createLogger } from '../../lib/logger';
import { orderWorkflowId } from '../../workflows/contract';
import { staffRequest as request } from '../support/auth';
import { testRunId } from '../support/db';
import { signalGroup } from '../support/child-process';
import {
  closeStackClients,
  createProduct,
  createStackClients,
  testAddress,
  waitFor,
  type OrderBody,
} from '../support/orders-e2e';
import { startConsumersProcess, type ConsumersProcess } from '../support/signals';
import { stackConfig } from '../support/stack-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { scrape, seriesValue } from './scrape';

const RUN = testRunId('metrics');
const QUEUE = `orders-metrics-${RUN}`;
const stack = createStackClients();
const { ordersDb, inventoryDb, temporal, redis } = stack;
let worker: WorkerProcess;
let consumers: ConsumersProcess;
const app = createApp({
  config: { ...stackConfig, LOG_LEVEL: 'silent', TEMPORAL_TASK_QUEUE: QUEUE },
  logger: createLogger('test', 'silent'),
  ordersDb,
  inventoryDb,
  temporal,
  redis,
});

beforeAll(async () => {
  [worker, consumers] = await Promise.all([
    startWorkerProcess({ taskQueue: QUEUE, label: 'metrics-worker' }),
    startConsumersProcess('metrics-consumers', { LOG_LEVEL: 'warn' }),
  ]);
}, 150_000);

afterAll(async () => {
  if (consumers) signalGroup(consumers, 'SIGTERM');
  await Promise.allSettled([worker && stopWorkerProcess(worker, 5000), consumers?.exited]);
  await closeStackClients(stack, RUN);
}, 60_000);

let seq = 0;
async function placeOrder(productId: string, paymentMethod = 'tok_visa'): Promise<string> {
  const created = await request(app)
    .post('/api/orders')
    .send({
      customerId: `${RUN}-c${++seq}`,
      items: [{ productId, quantity: 2 }],
      address: testAddress(),
      paymentMethod,
    });
  expect(created.status).toBe(201);
  return (created.body as OrderBody).id;
}

const sagaResult = (orderId: string) => temporal.workflow.getHandle(orderWorkflowId(orderId)).result();

it('counts requests, sagas, activities, the SDK and the consumers after real orders', async () => {
  const productId = `${RUN}-p`;
  await createProduct(productId, 100, '4.50');

  const confirmedId = await placeOrder(productId);
  const declinedId = await placeOrder(productId, 'tok_chargeDeclined');
  await expect(sagaResult(declinedId)).resolves.toMatchObject({
    status: 'CANCELLED',
    cancellationReason: 'PAYMENT_DECLINED',
  });
  const cancelledId = await placeOrder(productId);
  await waitFor('the third order to be confirmed', async () =>
    (await ordersDb.order.findUnique({ where: { id: cancelledId } }))?.status === 'CONFIRMED'
      ? true
      : undefined,
  );
  expect((await request(app).delete(`/api/orders/${cancelledId}`)).status).toBe(202);
  await expect(sagaResult(cancelledId)).resolves.toMatchObject({
    status: 'CANCELLED',
    cancellationReason: 'CUSTOMER_REQUEST',
  });
  expect((await request(app).get(`/api/orders/${confirmedId}`)).status).toBe(200);
  expect((await request(app).get(`/api/orders/${confirmedId}`)).status).toBe(200);

  const api = (await request(app).get('/metrics').expect(200)).text;
  expect(
    seriesValue(api, 'trackops_http_request_duration_seconds_count', {
      route: '/api/orders',
      status: '201',
      method: 'POST',
    }),
  ).toBe(3);
  expect(
    seriesValue(api, 'trackops_http_request_duration_seconds_count', {
      route: '/api/orders/:id',
      status: '200',
      method: 'GET',
    }),
  ).toBe(2);
  expect(
    seriesValue(api, 'trackops_http_request_duration_seconds_bucket', {
      route: '/api/orders/:id',
      le: '+Inf',
      method: 'GET',
    }),
  ).toBe(2);
  expect(api).not.toContain(`route="/api/orders/${confirmedId}"`);
  expect(seriesValue(api, 'trackops_cache_events_total', { event: 'hits' })).toBeGreaterThan(0);
  expect(api).toMatch(/^trackops_cache_events_total\{event="invalidations"/m);
  expect(api).toMatch(/^trackops_cache_events_total\{event="warms"/m);
  expect(api).toMatch(/^trackops_cache_events_total\{event="misses"/m);
  expect(api).toMatch(/^trackops_api_process_cpu_seconds_total\{service="trackops-api"\}/m);

  const workerText = await scrape(worker.metricsPort);
  expect(seriesValue(workerText, 'trackops_saga_started_total')).toBe(3);
  expect(seriesValue(workerText, 'trackops_saga_confirmed_total')).toBe(2);
  expect(seriesValue(workerText, 'trackops_saga_cancelled_total', { reason: 'PAYMENT_DECLINED' })).toBe(1);
  expect(seriesValue(workerText, 'trackops_saga_cancelled_total', { reason: 'CUSTOMER_REQUEST' })).toBe(1);
  expect(
    seriesValue(workerText, 'trackops_saga_compensations_total', { compensation: 'releaseInventory' }),
  ).toBe(2);
  expect(
    seriesValue(workerText, 'trackops_saga_compensations_total', { compensation: 'voidOrRefundPayment' }),
  ).toBeGreaterThanOrEqual(1);
  expect(seriesValue(workerText, 'trackops_saga_duration_to_confirmed_seconds_count')).toBe(2);
  expect(
    seriesValue(workerText, 'trackops_activity_failures_total', { activity: 'authorizePayment' }),
  ).toBeGreaterThanOrEqual(1);
  // The Temporal SDK's own worker metrics, from its core's Prometheus endpoint, merged in.
  expect(workerText).toMatch(/^temporal_workflow_task_schedule_to_start_latency\w*_bucket\{/m);
  expect(workerText).toMatch(/^temporal_worker_task_slots_available\w*\{/m);
  expect(
    seriesValue(workerText, 'temporal_workflow_completed_total', { task_queue: QUEUE }) +
      seriesValue(workerText, 'temporal_workflow_completed', { task_queue: QUEUE }),
  ).toBeGreaterThan(0); // the two cancelled sagas ended; the confirmed one waits for fulfilment

  // The consumers share their groups' partitions with the stack's: wait until this one applied some.
  const consumersText = await waitFor(
    'the consumers process to apply CDC changes',
    async () => {
      const text = await scrape(consumers.metricsPort);
      return seriesValue(text, 'trackops_cdc_lag_seconds_count') > 0 ? text : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(seriesValue(consumersText, 'trackops_consumer_processed_total')).toBeGreaterThan(0);
  expect(consumersText).toMatch(
    /^trackops_consumer_lag_messages\{consumer="[^"]+",topic="[^"]+",partition="\d+"/m,
  );
  expect(consumersText).toMatch(/^# TYPE trackops_consumer_dead_lettered_total counter/m);
  expect(consumersText).toMatch(/^# TYPE trackops_consumer_retries_total counter/m);
  expect(consumersText).toMatch(/^trackops_cdc_lag_seconds_bucket\{[^}]*le="\+Inf"/m);
}, 180_000);
