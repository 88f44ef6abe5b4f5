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
  searchTraces,
  type ZipkinSpan,
} from '../../lib/telemetry/zipkin-traces';
import { orderKey } from '../../cache/keys';
import { authHeader, staffRoleFor } from '../support/auth';
import { runCli } from '../support/signals';
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
    startWorkerProcess({ taskQueue, label: 'otel-worker', env: { ...fastExport, LOG_LEVEL: 'info' } }),
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

/** What the API logs outside any request: its own start and stop. */
const API_PROCESS_LINES = [
  'api listening',
  'tracking feed consuming the outbox topics',
  'shutting down: draining requests',
  'api stopped',
];
/** Probes are not traced (lib/telemetry/instrumentations.ts), so their lines carry only the request id. */
const UNTRACED_PATHS = ['/health', '/health/live', '/health/ready', '/metrics'];

function jsonLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The order the first test places, confirms and cancels; the later tests read its traces. */
let tracedOrderId: string | undefined;

/** Each span's chain of parents within its trace, nearest first. */
function ancestorsIn(spans: readonly ZipkinSpan[]) {
  const byId = new Map(spans.map((span) => [span.id, span]));
  const ancestors = (span: ZipkinSpan): ZipkinSpan[] => {
    const parent = span.parentId ? byId.get(span.parentId) : undefined;
    return parent ? [parent, ...ancestors(parent)] : [];
  };
  return ancestors;
}

/** The last ten minutes of Zipkin's trace search. */
const recentTraces = (query: Record<string, string>) =>
  searchTraces({ lookback: '600000', endTs: String(Date.now()), limit: '100', ...query });

test('an order is one trace: API, workflow, activities and consumer, each parented within it', async () => {
  const requestId = `otel-${uniqueSuffix()}`;
  const orderId = await placeOrder(requestId);
  tracedOrderId = orderId;
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
  const ancestors = ancestorsIn(placement);
  const workflowSpan = placement.find((span) => span.name?.startsWith('runworkflow'))!;
  expect(ancestors(workflowSpan).some((span) => serviceOf(span) === 'trackops-api')).toBe(true);
  const activitySpan = placement.find((span) => span.name === 'runactivity:placeorder')!;
  expect(serviceOf(activitySpan)).toBe('trackops-worker');
  expect(ancestors(activitySpan)).toContain(workflowSpan);
  // Inside each activity, a span of our own says what the step means for the order.
  const placeStep = placement.find((span) => span.name === 'saga step placeorder')!;
  expect(placeStep.parentId).toBe(activitySpan.id);
  expect(placeStep.tags).toMatchObject({
    'trackops.order.id': orderId,
    'trackops.saga.step': 'placeOrder',
    'trackops.saga.compensation': 'false',
  });
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

  // `bin/trackops trace <orderId>` prints the same trees from Zipkin, the placement first.
  const printed = await runCli(['trace', orderId], 90_000);
  expect(printed.code).toBe(0);
  expect(printed.stdout.split('\n')[0]).toMatch(new RegExp(`^trace ${traceId} `));
  expect(printed.stdout).toMatch(/\ntrackops-api {2}post \/api\/orders {2}\d/i);
  expect(printed.stdout).toMatch(/\n +trackops-worker {2}saga step placeorder {2}\d/i);

  // A line the API wrote during the request carries the trace, the span and the request id; and
  // every line it wrote at all is either one of the process's own (start, stop) or a request's.
  const lines = jsonLines(api!.logFile);
  const duringRequest = lines.filter((line) => line.request_id === requestId);
  expect(duringRequest.length).toBeGreaterThan(0);
  for (const line of duringRequest) {
    expect(line.trace_id).toBe(traceId);
    expect(line.span_id).toMatch(/^[\da-f]{16}$/);
  }
  for (const line of lines) {
    if (line.request_id === undefined) {
      expect(API_PROCESS_LINES).toContain(line.msg);
    } else if (!UNTRACED_PATHS.includes(String(line.path))) {
      expect({ line, traced: /^[\da-f]{32}$/.test(String(line.trace_id)) }).toMatchObject({ traced: true });
      expect({ line, spanned: /^[\da-f]{16}$/.test(String(line.span_id)) }).toMatchObject({ spanned: true });
    }
  }
});

test('the cancellation is one trace from the API through the update into the saga, and each compensation is a span of its own', async () => {
  const orderId = tracedOrderId!;
  const cancellation = await waitFor(
    'the trace of the DELETE, with the update handled by the worker',
    async () => {
      for (const spans of await tracesOfOrder(orderId, { lookbackMs: 600_000 })) {
        const root = spans.find((span) => !span.parentId);
        const handled = spans.some((span) => span.name === 'handleupdate:requestcancellation');
        if (root?.name?.startsWith('delete') && handled) return spans;
      }
      return undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const ancestors = ancestorsIn(cancellation);
  const update = cancellation.find((span) => span.name === 'startworkflowupdate:requestcancellation')!;
  expect(serviceOf(update)).toBe('trackops-api');
  const handled = cancellation.find((span) => span.name === 'handleupdate:requestcancellation')!;
  expect(serviceOf(handled)).toBe('trackops-worker');
  expect(ancestors(handled)).toContain(update);
  expect(ancestors(handled).at(-1)).toMatchObject({
    kind: 'SERVER',
    localEndpoint: { serviceName: 'trackops-api' },
  });

  // The compensations (stock back, payment refunded) run as the saga's steps, each inside its activity.
  const compensations = await waitFor(
    "the order's compensation spans",
    async () => {
      const spans = (await recentTraces({ annotationQuery: `trackops.order.id=${orderId}` })).flat();
      const found = spans.filter((span) => span.tags?.['trackops.saga.compensation'] === 'true');
      return found.length >= 2 ? { spans, found } : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  expect(compensations.found.map((span) => span.name).sort()).toEqual([
    'saga compensation releaseinventory',
    'saga compensation voidorrefundpayment',
  ]);
  const byId = new Map(compensations.spans.map((span) => [span.id, span]));
  for (const span of compensations.found) {
    expect(serviceOf(span)).toBe('trackops-worker');
    expect(span.tags?.['trackops.order.id']).toBe(orderId);
    expect(byId.get(span.parentId ?? '')?.name).toBe(
      `runactivity:${span.tags?.['trackops.saga.step']?.toLowerCase()}`,
    );
  }
  // The refund's log line names the saga (its request id) and the compensation's span.
  const refundLine = await waitFor('the worker\'s "payment compensated" line', async () =>
    jsonLines(worker!.logFile).find(
      (line) => line.msg === 'payment compensated' && line.request_id === `order-${orderId}`,
    ),
  );
  const refundSpan = compensations.found.find(
    (span) => span.name === 'saga compensation voidorrefundpayment',
  )!;
  expect(refundLine).toMatchObject({ trace_id: refundSpan.traceId, span_id: refundSpan.id });
});

test("the stack's consumers process joins the order's trace, and its cache refresh is a span of its own", async () => {
  const orderId = tracedOrderId!;
  const consumerSpans = await waitFor(
    "spans of trackops-consumers in the order's placement trace",
    async () => {
      const [placement] = await tracesOfOrder(orderId, { lookbackMs: 600_000 });
      const ids = new Set((placement ?? []).map((span) => span.id));
      const found = (placement ?? []).filter(
        (span) =>
          serviceOf(span) === 'trackops-consumers' &&
          span.kind === 'CONSUMER' &&
          ids.has(span.parentId ?? ''),
      );
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  expect(consumerSpans[0]!.tags?.['messaging.system']).toBe('kafka');

  // Debezium's row changes carry no trace of their own: the cache consumer's batch is a trace that
  // names the entries it fenced and warmed.
  const refresh = await waitFor(
    "a cache refresh span naming the order's entry",
    async () => {
      const traces = await recentTraces({
        serviceName: 'trackops-consumers',
        spanName: 'cache invalidate and warm',
      });
      return traces.flat().find(
        (span) =>
          span.name === 'cache invalidate and warm' &&
          (span.tags?.['trackops.cache.keys'] ?? '').includes(orderKey(orderId)) &&
          // The batch of the order's own row changes fences its entry (an items-only one only warms).
          Number(span.tags?.['trackops.cache.invalidations']) > 0,
      );
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  expect(Number(refresh.tags?.['trackops.cache.entries'])).toBeGreaterThanOrEqual(
    Number(refresh.tags?.['trackops.cache.invalidations']),
  );
});

test("a read shows its Redis calls inside the API's span, in the caller's trace", async () => {
  const orderId = tracedOrderId!;
  const traceId = randomUUID().replaceAll('-', '');
  const callerSpan = randomUUID().replaceAll('-', '').slice(0, 16);
  const response = await callApi('GET', `/api/orders/${orderId}`, {
    traceparent: `00-${traceId}-${callerSpan}-01`,
  });
  expect(response.status).toBe(200);
  const spans = await waitFor(
    'the read in Zipkin with its Redis spans',
    async () => {
      const found = await traceById(traceId).catch(() => []);
      return found.some((span) => (span.tags?.['db.system.name'] ?? span.tags?.['db.system']) === 'redis')
        ? found
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const server = spans.find((span) => span.kind === 'SERVER')!;
  expect(server.parentId).toBe(callerSpan);
  // Named by its route template, once (the stream's router used to be entered on the way and doubled it).
  expect(server.name).toBe('get /api/orders/:id');
  expect(serviceOf(server)).toBe('trackops-api');
  const ancestors = ancestorsIn(spans);
  for (const redis of spans.filter(
    (span) => (span.tags?.['db.system.name'] ?? span.tags?.['db.system']) === 'redis',
  )) {
    expect(serviceOf(redis)).toBe('trackops-api');
    expect(ancestors(redis)).toContain(server);
  }
});
