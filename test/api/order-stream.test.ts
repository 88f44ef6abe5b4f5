/**
 * GET /api/orders/{id}/stream against two app instances of this suite (each with its own live feed,
 * as two API processes have) on the stack's Kafka, Postgres and Temporal, with a worker of its own.
 * An order placed through one instance streams from the other; a reconnect with Last-Event-ID
 * resumes after that event; a status change arrives live; a wrong token is a 404. A third instance
 * with a short heartbeat interval shows the heartbeat comments that keep an idle stream open.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { mintLocalToken } from '../../api/auth/tokens';
import { OrderEventBus } from '../../api/tracking/order-event-bus';
import { DEFAULT_STREAM_OPTIONS } from '../../api/tracking/stream-route';
import type { TrackingEvent } from '../../api/tracking/tracking-event';
import type { AppConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createTestItem, testRunId } from '../support/db';
import {
  closeStackClients,
  createStackClients,
  terminateSagas,
  testAddress,
  waitFor,
} from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

const RUN = testRunId('stream');
const QUEUE = `orders-stream-${RUN}`;
const PRODUCT = `${RUN}-P`;
const config: AppConfig = { ...stackConfig, TEMPORAL_TASK_QUEUE: QUEUE, LOG_LEVEL: 'silent' };
const stack = createStackClients(5);
const logger = createLogger('stream-test', 'silent');
const buses = [0, 1].map(() => new OrderEventBus(config.KAFKA_BROKERS.split(','), logger));
/** The heartbeat interval of the third instance (the production default is 15 s). */
const SHORT_HEARTBEAT_MS = 200;
const servers: Server[] = [];
/** The two instances with the default stream options, then the one with SHORT_HEARTBEAT_MS. */
const urls: string[] = [];
const orderIds: string[] = [];
let worker: WorkerProcess | undefined;
let operatorToken = '';

interface Frame {
  event: string;
  id?: string;
  data: unknown;
}

/** One SSE block as an event frame; comments and the retry block carry no data and are none. */
function frameOf(block: string): Frame | undefined {
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const data = fields.get('data');
  return data === undefined
    ? undefined
    : { event: fields.get('event') ?? 'message', id: fields.get('id'), data: JSON.parse(data) };
}

/** Reads SSE frames until `until` says stop, then aborts the connection. */
async function readStream(url: string, until: (frames: Frame[]) => boolean, lastEventId?: string) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 30_000);
  const response = await fetch(url, {
    signal: abort.signal,
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const frames: Frame[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = frameOf(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (frame) frames.push(frame);
      }
      if (until(frames)) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return frames;
}

const eventsOf = (frames: Frame[]) =>
  frames.filter((f) => f.event === 'order-event').map((f) => f.data as TrackingEvent);
const hasType = (type: string) => (frames: Frame[]) => eventsOf(frames).some((e) => e.type === type);

beforeAll(async () => {
  worker = await startWorkerProcess({ taskQueue: QUEUE, label: 'stream-worker' });
  await createTestItem(stack.inventoryDb, PRODUCT, 100, '3.00');
  const instances = [
    ...buses.map((orderEvents) => ({ orderEvents })),
    // The third shares the first one's live feed (an instance's streams all share one).
    { orderEvents: buses[0]!, streamOptions: { heartbeatMs: SHORT_HEARTBEAT_MS } },
  ];
  for (const instance of instances) {
    const app = createApp({ config, logger, ...stack, ...instance });
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    servers.push(server);
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  operatorToken = await mintLocalToken(config, { role: 'operator', expiresIn: '1h' });
}, 150_000);

afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.stop()));
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await terminateSagas(stack.temporal, orderIds);
  if (worker) await stopWorkerProcess(worker, 5_000);
  await closeStackClients(stack, RUN);
}, 60_000);

async function call<T>(base: string, method: string, route: string, body?: unknown) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

it('streams an order from either instance, resumes after Last-Event-ID and delivers live changes', async () => {
  const created = await call<{ id: string; trackingToken: string }>(urls[0]!, 'POST', '/api/orders', {
    customerId: `${RUN}-c`,
    items: [{ productId: PRODUCT, quantity: 1 }],
    address: testAddress(),
  });
  expect(created.status).toBe(201);
  const { id, trackingToken } = created.body;
  orderIds.push(id);
  const streamUrl = (base: string, token = trackingToken) => `${base}/api/orders/${id}/stream?token=${token}`;

  const wrong = await fetch(streamUrl(urls[1]!, `${trackingToken.slice(0, -2)}xx`));
  expect(wrong.status).toBe(404);
  const fromOtherInstance = await readStream(streamUrl(urls[1]!), hasType('ORDER_CONFIRMED'));
  expect(fromOtherInstance[0]?.event).toBe('snapshot');
  const events = eventsOf(fromOtherInstance);
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  const types = events.map((e) => e.type);
  for (const type of ['ORDER_CREATED', 'INVENTORY_RESERVED', 'PAYMENT_AUTHORIZED', 'PAYMENT_CAPTURED']) {
    expect(types).toContain(type);
  }
  expect(types.indexOf('ORDER_CREATED')).toBeLessThan(types.indexOf('ORDER_CONFIRMED'));

  const resumeAfter = events[1]!;
  const resumed = readStream(streamUrl(urls[0]!), hasType('ORDER_STATUS_UPDATED'), resumeAfter.id);
  // The resumed stream is subscribed before the change is made: SHIPPED must come live from Kafka.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const shipped = await call<{ status: string }>(urls[0]!, 'PUT', `/api/orders/${id}/status`, {
    newStatus: 'SHIPPED',
  });
  expect(shipped.status).toBe(200);
  const resumedEvents = eventsOf(await resumed);
  expect(resumedEvents[0]?.id).toBe(events[2]?.id);
  expect(resumedEvents.map((e) => e.id)).not.toContain(resumeAfter.id);
  expect(resumedEvents.find((e) => e.type === 'ORDER_STATUS_UPDATED')?.status).toBe('SHIPPED');
}, 90_000);

/** An open stream read as raw text (comment lines included), for as long as the test wants. */
async function openRawStream(url: string) {
  const abort = new AbortController();
  const response = await fetch(url, { signal: abort.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const state = { text: '', ended: false };
  const pumping = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        state.text += decoder.decode(value, { stream: true });
      }
    } catch {
      // Aborted by close().
    }
    state.ended = true;
  })();
  return {
    state,
    close: async () => {
      abort.abort();
      await pumping;
    },
  };
}

const HEARTBEAT = /^: heartbeat$/gm;
/** Heartbeat comment lines after the stream's last event frame (snapshot or order event). */
const heartbeatsSinceLastEvent = (text: string) =>
  (text.slice(Math.max(0, text.lastIndexOf('\nevent: '))).match(HEARTBEAT) ?? []).length;
/** The order events in the complete frames of a raw stream. */
const orderEventsIn = (text: string) =>
  eventsOf(
    text
      .split('\n\n')
      .slice(0, -1)
      .flatMap((block) => frameOf(block) ?? []),
  );

it('sends heartbeat comments on an idle stream and keeps it open', async () => {
  // What the README promises for production; the third instance shortens it.
  expect(DEFAULT_STREAM_OPTIONS.heartbeatMs).toBe(15_000);
  const created = await call<{ id: string; trackingToken: string }>(urls[2]!, 'POST', '/api/orders', {
    customerId: `${RUN}-heartbeat`,
    items: [{ productId: PRODUCT, quantity: 1 }],
    address: testAddress(),
  });
  expect(created.status).toBe(201);
  const { id, trackingToken } = created.body;
  orderIds.push(id);

  const stream = await openRawStream(`${urls[2]}/api/orders/${id}/stream?token=${trackingToken}`);
  const hasEvent = (type: string, status?: string) => async () =>
    orderEventsIn(stream.state.text).some(
      (e) => e.type === type && (status === undefined || e.status === status),
    )
      ? true
      : undefined;
  try {
    await waitFor('the order to be confirmed on the stream', hasEvent('ORDER_CONFIRMED'));
    // Confirmed, the saga waits for shipment: nothing happens to the order, only heartbeats arrive.
    await waitFor(
      'two heartbeat comments in a row with no event between them',
      async () => (heartbeatsSinceLastEvent(stream.state.text) >= 2 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(stream.state.ended).toBe(false);

    // Still open and still live: a change made now arrives on the same connection.
    const shipped = await call<{ status: string }>(urls[0]!, 'PUT', `/api/orders/${id}/status`, {
      newStatus: 'SHIPPED',
    });
    expect(shipped.status).toBe(200);
    await waitFor('the SHIPPED change on the same connection', hasEvent('ORDER_STATUS_UPDATED', 'SHIPPED'));
    expect(stream.state.ended).toBe(false);
  } finally {
    await stream.close();
  }
}, 90_000);
