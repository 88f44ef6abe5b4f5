/**
 * One order, one trace, on the real stack: this file's own API and saga worker (started as the
 * stack starts them, OTel preload included, exporting to the stack's Zipkin) place an order; a
 * consumer run by this test through the real ConsumerRunner, with an in-memory exporter, applies
 * the ORDER_CREATED event Debezium carried to Kafka. Read back: spans of the API, the workflow,
 * its activities and the consumer share one trace id and each one's parent is in the trace.
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ConsumerRunner } from '../../consumers/runtime/consumer-runner';
import { parseOutboxEvent } from '../../consumers/runtime/outbox-event';
import { createLogger } from '../../lib/logger';
import {
  tracesOfOrder,
  traceById,
  renderTraceTree,
  type ZipkinSpan,
} from '../../lib/telemetry/zipkin-traces';
import { authHeader, staffRoleFor } from '../support/auth';
import { signalGroup, startNodeProcess, type NodeProcess } from '../support/child-process';
import { closeTestDbs, createTestDbs, createTestItem, ordersOutbox, testRunId } from '../support/db';
import { testAddress, waitFor } from '../support/orders-e2e';
import { stackConfig, uniqueSuffix } from '../support/stack-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

jest.setTimeout(240_000);

const runId = testRunId('otel');
const taskQueue = `telemetry-${uniqueSuffix()}`;
const dbs = createTestDbs(3);
// Short export batches so the spans reach Zipkin within the test.
const fastExport = { OTEL_BSP_SCHEDULE_DELAY: '200' };

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

let worker: WorkerProcess | undefined;
let api: NodeProcess | undefined;
let runner: ConsumerRunner | undefined;
let producer: Producer | undefined;
const appliedTraceparents = new Map<string, string | undefined>();

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const kafka = new Kafka({
    clientId: `otel-${uniqueSuffix()}`,
    brokers: stackConfig.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  producer = kafka.producer();
  await producer.connect();
  // A group of this test's own, from the end of the topic: it sees this order's events and
  // changes nothing (the stack's consumer groups keep their partitions).
  runner = new ConsumerRunner(
    kafka,
    producer,
    {
      name: `otel-test-${uniqueSuffix()}`,
      topics: ['trackops.orders'],
      fromBeginning: false,
      async handle({ message }) {
        const event = parseOutboxEvent(message);
        appliedTraceparents.set(`${event.aggregateId}/${event.type}`, event.traceparent);
      },
    },
    createLogger('otel-test', 'warn'),
  );
  [worker, api] = await Promise.all([
    startWorkerProcess({ taskQueue, label: 'otel-worker', env: fastExport }),
    startNodeProcess({
      entry: 'api/main.ts',
      label: 'otel-api',
      metricsPortVariable: 'API_PORT',
      env: { ...fastExport, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'info' },
      readyTimeoutMs: 120_000,
    }),
    runner.start(),
  ]);
});

afterAll(async () => {
  await runner?.stop();
  await producer?.disconnect();
  if (api) signalGroup(api, 'SIGTERM');
  if (worker) await stopWorkerProcess(worker);
  await closeTestDbs(dbs, runId);
  await provider.shutdown();
  contextManager.disable();
});

const apiUrl = (path: string) => `http://127.0.0.1:${api!.metricsPort}${path}`;

async function callApi(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  return fetch(apiUrl(path), {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...authHeader(staffRoleFor(method, path)),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function placeOrder(requestId: string): Promise<string> {
  const productId = `${runId}-mug`;
  await createTestItem(dbs.inventoryDb, productId, 5);
  // The consumer group must own its partitions before the event is written (it starts at the end).
  await waitFor('the test consumer to join its group', async () => (runner?.isRunning ? true : undefined));
  const response = await callApi(
    'POST',
    '/api/orders',
    { 'idempotency-key': randomUUID(), 'x-request-id': requestId },
    {
      customerId: `${runId}-c`,
      items: [{ productId, quantity: 1 }],
      address: testAddress(),
    },
  );
  expect(response.status).toBe(201);
  expect(response.headers.get('x-request-id')).toBe(requestId);
  return ((await response.json()) as { id: string }).id;
}

const serviceOf = (span: ZipkinSpan) => span.localEndpoint?.serviceName;

test('an order is one trace: API, workflow, activities and consumer, each parented within it', async () => {
  const requestId = `otel-${uniqueSuffix()}`;
  const orderId = await placeOrder(requestId);
  // The workflow's own span ends (and is exported) when the saga does: cancel it once confirmed.
  await waitFor('the order to be confirmed', async () => {
    const response = await callApi('GET', `/api/orders/${orderId}`);
    return ((await response.json()) as { status?: string }).status === 'CONFIRMED' ? true : undefined;
  });
  expect((await callApi('DELETE', `/api/orders/${orderId}`)).status).toBe(202);

  const placement = await waitFor(
    "the order's trace in Zipkin, with its workflow and activity spans",
    async () => {
      const [first] = await tracesOfOrder(orderId, { lookbackMs: 600_000 });
      if (!first) return undefined;
      const spans = await traceById(first[0]!.traceId);
      const names = spans.map((span) => span.name ?? '');
      const complete =
        spans.some((span) => serviceOf(span) === 'trackops-api' && span.kind === 'SERVER') &&
        names.some((name) => name.startsWith('runworkflow')) &&
        names.some((name) => name.startsWith('runactivity'));
      return complete ? spans : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const traceId = placement[0]!.traceId;
  expect(new Set(placement.map((span) => span.traceId))).toEqual(new Set([traceId]));
  // (The stack's consumers process adds its spans too once it runs with the preload.)
  expect(placement.map(serviceOf)).toEqual(expect.arrayContaining(['trackops-api', 'trackops-worker']));

  // Exactly one root, the API's server span; every other span's parent is in the trace.
  const ids = new Set(placement.map((span) => span.id));
  const roots = placement.filter((span) => !span.parentId);
  expect(roots.map((span) => [serviceOf(span), span.kind])).toEqual([['trackops-api', 'SERVER']]);
  for (const span of placement) if (span.parentId) expect(ids.has(span.parentId)).toBe(true);

  // The workflow runs under the API's client call, an activity under the workflow's schedule.
  const byId = new Map(placement.map((span) => [span.id, span]));
  const ancestors = (span: ZipkinSpan): ZipkinSpan[] => {
    const parent = span.parentId ? byId.get(span.parentId) : undefined;
    return parent ? [parent, ...ancestors(parent)] : [];
  };
  const workflowSpan = placement.find((span) => span.name?.startsWith('runworkflow'))!;
  expect(ancestors(workflowSpan).some((span) => serviceOf(span) === 'trackops-api')).toBe(true);
  const activitySpan = placement.find((span) => span.name === 'runactivity:placeorder')!;
  expect(serviceOf(activitySpan)).toBe('trackops-worker');
  expect(ancestors(activitySpan)).toContain(workflowSpan);
  expect(placement.some((span) => span.tags?.['db.system.name'] ?? span.tags?.['db.system'])).toBe(true);

  // The outbox row's traceparent names a span of this trace (the activity step that wrote it), and
  // the consumer that applied the Kafka message is that span's child.
  const [created] = await ordersOutbox(dbs.ordersDb, orderId, 'ORDER_CREATED');
  const [, rowTraceId, rowSpanId] = (created?.traceparent ?? '').split('-');
  expect(rowTraceId).toBe(traceId);
  expect(ids.has(rowSpanId!)).toBe(true);

  const consumerSpan = await waitFor('the consumer span of ORDER_CREATED', async () => {
    if (!appliedTraceparents.has(`${orderId}/ORDER_CREATED`)) return undefined;
    return exporter
      .getFinishedSpans()
      .find((span) => span.attributes['messaging.message.id'] === created?.id);
  });
  expect(appliedTraceparents.get(`${orderId}/ORDER_CREATED`)).toBe(created?.traceparent);
  expect(consumerSpan.name).toBe('process trackops.orders');
  expect(consumerSpan.spanContext().traceId).toBe(traceId);
  expect(consumerSpan.parentSpanContext?.spanId).toBe(rowSpanId);
  expect(consumerSpan.attributes['messaging.system']).toBe('kafka');

  // trackops trace prints it as a tree: the API's server span at the root, the workflow inside.
  const tree = renderTraceTree(placement);
  expect(tree.split('\n')[0]).toMatch(/^trackops-api {2}post /i);
  expect(tree).toMatch(/\n +trackops-worker {2}runworkflow:ordersaga {2}\d/i);

  // A line the API wrote during the request carries the trace, the span and the request id.
  const lines = fs
    .readFileSync(api!.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const duringRequest = lines.filter((line) => line.request_id === requestId);
  expect(duringRequest.length).toBeGreaterThan(0);
  for (const line of duringRequest) {
    expect(line.trace_id).toBe(traceId);
    expect(line.span_id).toMatch(/^[\da-f]{16}$/);
  }
});
