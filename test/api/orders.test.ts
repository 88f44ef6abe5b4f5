/**
 * Orders REST API through supertest against createApp with real dependencies: the stack's Postgres
 * (both contexts), its Redis and its Temporal server (`bin/trackops stack up`).
 *
 * Orders are placed by their sagas (the saga's first step writes the order), on a task queue of
 * this run's own served by a worker process of this suite. Each order made here is awaited until
 * its saga has CONFIRMED it and waits for shipment, where it writes nothing more, so footprints
 * and listings are deterministic. Every product id and customer id carries this run's prefix, and
 * afterAll terminates the run's workflows and removes its rows.
 */
import { randomUUID } from 'node:crypto';
import { staffRequest as request } from '../support/auth';
import { createApp, MAX_BODY_BYTES } from '../../api/app';
import type { ApiDependencies } from '../../api/dependencies';
import { MAX_ITEMS_PER_ORDER } from '../../api/order-schemas';
import type { Page } from '../../api/pagination';
import type { OrderView } from '../../domain/orders/order-view';
import type { AppConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createTemporalClient } from '../../lib/temporal-client';
import { orderWorkflowId, type OrderSagaInput } from '../../workflows/contract';
import { testRunId } from '../support/db';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';
import {
  closeStackClients,
  createStackClients,
  testAddress,
  waitFor,
  type ErrorBody,
} from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('ordapi');
const QUEUE = `orders-apitest-${RUN}`;
const config: AppConfig = {
  ...stackConfig,
  TEMPORAL_TASK_QUEUE: QUEUE,
  LOG_LEVEL: 'silent',
  ORDER_PLACEMENT_TIMEOUT: '5s',
};

let seq = 0;
const newCustomer = (label = 'c') => `${RUN}-${label}-${++seq}`;
const PRODUCT_A = `${RUN}-A`; // 12.50
const PRODUCT_B = `${RUN}-B`; // 0.10

const stack = createStackClients(10);
const { ordersDb, temporal } = stack;
const deps: ApiDependencies = { config, logger: createLogger('orders-api-test', 'silent'), ...stack };
const app = createApp(deps);
// Nothing listens on port 1: every call fails to connect.
const unreachableTemporal = createTemporalClient('127.0.0.1:1', config.TEMPORAL_NAMESPACE);
const appWithoutTemporal = createApp({ ...deps, temporal: unreachableTemporal });

let worker: WorkerProcess | undefined;

beforeAll(async () => {
  worker = await startWorkerProcess({ taskQueue: QUEUE, label: 'orders-api-worker' });
  for (const [productId, unitPrice] of [
    [PRODUCT_A, '12.50'],
    [PRODUCT_B, '0.10'],
  ] as const) {
    await request(app)
      .post('/api/inventory/items')
      .send({ productId, productName: `Product ${productId}`, availableQuantity: 1000, unitPrice })
      .expect(201);
  }
}, 150_000);

afterAll(async () => {
  if (worker) await stopWorkerProcess(worker, 5_000);
  await unreachableTemporal.connection.close().catch(() => undefined);
  await closeStackClients(stack, RUN);
}, 60_000);

const orderBody = (overrides: Record<string, unknown> = {}) => ({
  customerId: newCustomer(),
  items: [{ productId: PRODUCT_A, quantity: 1 }],
  address: testAddress(),
  ...overrides,
});

/** Everything this run could have written in the orders database. */
async function footprint() {
  const [row] = await ordersDb.$queryRawUnsafe<
    { orders: bigint; items: bigint; events: bigint; outbox: bigint }[]
  >(
    `SELECT (SELECT count(*) FROM orders WHERE customer_id LIKE $1) AS orders,
            (SELECT count(*) FROM order_items WHERE product_id LIKE $1) AS items,
            (SELECT count(*) FROM order_events e JOIN orders o ON o.id = e.order_id
              WHERE o.customer_id LIKE $1) AS events,
            (SELECT count(*) FROM outbox WHERE payload::text LIKE $2) AS outbox`,
    `${RUN}%`,
    `%${RUN}%`,
  );
  if (!row) throw new Error('footprint query returned no row');
  return {
    orders: Number(row.orders),
    items: Number(row.items),
    events: Number(row.events),
    outbox: Number(row.outbox),
  };
}

function expectErrorBody(body: ErrorBody, status: number, path: string) {
  expect(body).toMatchObject({ status, path });
  expect(typeof body.error).toBe('string');
  expect(typeof body.message).toBe('string');
  expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
}

function fieldsOf(body: ErrorBody): string[] {
  return (body.validationErrors ?? []).map((e) => e.field);
}

/** Posts a body that must be refused with 400 naming `field`, and checks nothing was written. */
async function expectRejected(
  body: unknown,
  field: string,
  headers: Record<string, string> = {},
): Promise<ErrorBody> {
  const before = await footprint();
  const response = await request(app)
    .post('/api/orders')
    .set(headers)
    .send(body as object);
  expect(response.status).toBe(400);
  const error = response.body as ErrorBody;
  expectErrorBody(error, 400, '/api/orders');
  expect(fieldsOf(error)).toContain(field);
  expect(await footprint()).toEqual(before);
  return error;
}

/** The order's row once its saga has confirmed it (and then waits for shipment, writing nothing). */
function settled(orderId: string) {
  return waitFor(`order ${orderId} to be CONFIRMED`, async () => {
    const row = await ordersDb.order.findUnique({ where: { id: orderId } });
    return row?.status === 'CONFIRMED' ? row : undefined;
  });
}

/** POST /api/orders answering 201; returns once the saga has confirmed the order. */
async function createOrder(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await request(app).post('/api/orders').set(headers).send(body);
  if (response.status !== 201) {
    throw new Error(`POST /api/orders answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  await settled((response.body as OrderView).id);
  return response;
}

describe('POST /api/orders: validation (400, nothing written)', () => {
  const line = (quantity: unknown) => ({ productId: PRODUCT_A, quantity });

  it.each<[string, () => Record<string, unknown>, string]>([
    [
      'missing customerId',
      () => {
        const { customerId: _omit, ...rest } = orderBody();
        return rest;
      },
      'customerId',
    ],
    ['blank customerId', () => orderBody({ customerId: '   ' }), 'customerId'],
    ['customerId longer than 64', () => orderBody({ customerId: `${RUN}-${'x'.repeat(64)}` }), 'customerId'],
    [
      'missing items',
      () => {
        const { items: _omit, ...rest } = orderBody();
        return rest;
      },
      'items',
    ],
    ['items empty', () => orderBody({ items: [] }), 'items'],
    [
      `more than ${MAX_ITEMS_PER_ORDER} items`,
      () => orderBody({ items: Array.from({ length: MAX_ITEMS_PER_ORDER + 1 }, () => line(1)) }),
      'items',
    ],
    ['quantity 0', () => orderBody({ items: [line(0)] }), 'items.0.quantity'],
    ['negative quantity', () => orderBody({ items: [line(-2)] }), 'items.0.quantity'],
    ['fractional quantity 1.5', () => orderBody({ items: [line(1.5)] }), 'items.0.quantity'],
    ['quantity as the string "2"', () => orderBody({ items: [line('2')] }), 'items.0.quantity'],
    ['quantity above the per-line maximum', () => orderBody({ items: [line(1001)] }), 'items.0.quantity'],
    [
      'second line without productId',
      () => orderBody({ items: [line(1), { quantity: 1 }] }),
      'items.1.productId',
    ],
    [
      'address missing postalCode',
      () => {
        const { postalCode: _omit, ...address } = testAddress();
        return orderBody({ address });
      },
      'address.postalCode',
    ],
    [
      'address missing',
      () => {
        const { address: _omit, ...rest } = orderBody();
        return rest;
      },
      'address',
    ],
    [
      'bad phone number',
      () => orderBody({ address: { ...testAddress(), phoneNumber: 'call me maybe' } }),
      'address.phoneNumber',
    ],
    ['payment method not a token', () => orderBody({ paymentMethod: '4111111111111111' }), 'paymentMethod'],
    [
      'delivery instructions too long',
      () => orderBody({ deliveryInstructions: 'x'.repeat(501) }),
      'deliveryInstructions',
    ],
    ['allowBackorder not a boolean', () => orderBody({ allowBackorder: 'yes' }), 'allowBackorder'],
  ])('%s', async (_name, body, field) => {
    await expectRejected(body(), field);
  });

  it('refuses an unknown top-level field', async () => {
    const error = await expectRejected(orderBody({ couponCode: 'FREE' }), 'couponCode');
    expect(error.validationErrors).toContainEqual({
      field: 'couponCode',
      rejectedValue: 'FREE',
      message: 'unknown field',
    });
  });

  it('refuses a client-supplied unitPrice on an item (prices come from inventory)', async () => {
    const error = await expectRejected(
      orderBody({ items: [{ productId: PRODUCT_A, quantity: 1, unitPrice: '0.01' }] }),
      'items.0.unitPrice',
    );
    expect(error.validationErrors).toHaveLength(1);
  });

  it('refuses a client-supplied totalAmount', async () => {
    const error = await expectRejected(orderBody({ totalAmount: '0.01' }), 'totalAmount');
    expect(error.validationErrors).toHaveLength(1);
  });

  it('refuses an unknown productId, naming the line (items.N.productId)', async () => {
    const unknown = `${RUN}-does-not-exist`;
    const error = await expectRejected(
      orderBody({
        items: [
          { productId: PRODUCT_A, quantity: 1 },
          { productId: unknown, quantity: 2 },
        ],
      }),
      'items.1.productId',
    );
    expect(error.validationErrors).toEqual([
      { field: 'items.1.productId', rejectedValue: unknown, message: 'unknown product' },
    ]);
  });

  it('answers 400 for malformed JSON', async () => {
    const before = await footprint();
    const response = await request(app)
      .post('/api/orders')
      .set('content-type', 'application/json')
      .send('{"customerId": "x", "items": [');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expectErrorBody(response.body as ErrorBody, 400, '/api/orders');
    expect(fieldsOf(response.body as ErrorBody)).toEqual(['body']);
    expect(await footprint()).toEqual(before);
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    const before = await footprint();
    const array = await request(app).post('/api/orders').send([orderBody()]);
    expect(array.status).toBe(400);
    expect(fieldsOf(array.body as ErrorBody)).toEqual(['order']);
    // express.json is strict: a bare primitive is a parse failure.
    const primitive = await request(app)
      .post('/api/orders')
      .set('content-type', 'application/json')
      .send('"order"');
    expect(primitive.status).toBe(400);
    expect(fieldsOf(primitive.body as ErrorBody)).toEqual(['body']);
    expect(await footprint()).toEqual(before);
  });

  it(`answers 413 with the error body for a body over ${MAX_BODY_BYTES} bytes`, async () => {
    const before = await footprint();
    const body = orderBody({ deliveryInstructions: 'x'.repeat(MAX_BODY_BYTES + 1) });
    const response = await request(app).post('/api/orders').send(body);
    expect(response.status).toBe(413);
    expectErrorBody(response.body as ErrorBody, 413, '/api/orders');
    expect((response.body as ErrorBody).error).toBe('Payload Too Large');
    expect(await footprint()).toEqual(before);
  });

  it.each([
    ['with a space', 'two words'],
    ['longer than 128 characters', 'k'.repeat(129)],
    ['non-ASCII', 'clé-été'],
  ])('refuses an Idempotency-Key %s', async (_name, key) => {
    const error = await expectRejected(orderBody(), 'Idempotency-Key', { 'Idempotency-Key': key });
    // Header bytes arrive as latin1, so a UTF-8 key comes back re-decoded; compare in that form.
    expect(error.validationErrors?.[0]?.rejectedValue).toBe(Buffer.from(key, 'utf8').toString('latin1'));
  });
});

describe('POST /api/orders: pricing and the created order', () => {
  it('prices from inventory, merges repeated products and returns 201 with Location', async () => {
    const customerId = newCustomer('priced');
    const response = await createOrder({
      customerId,
      items: [
        { productId: PRODUCT_B, quantity: 3 },
        { productId: PRODUCT_A, quantity: 2 },
        { productId: PRODUCT_B, quantity: 4 },
        { productId: PRODUCT_A, quantity: 1 },
      ],
      address: { ...testAddress(), state: 'NH', phoneNumber: '+31 (20) 555-0100' },
      deliveryInstructions: 'leave at the door',
    });
    const order = response.body as OrderView;
    expect(response.headers.location).toBe(`/api/orders/${order.id}`);
    expect(response.headers['idempotent-replayed']).toBeUndefined();
    // 3 x 12.50 + 7 x 0.10 = 38.20 exactly (as floats 7 * 0.1 would be 0.7000000000000001).
    expect(order).toMatchObject({
      customerId,
      status: 'PENDING',
      totalAmount: '38.20',
      currency: 'USD',
      cancellationReason: null,
      allowBackorder: false,
      workflowId: orderWorkflowId(order.id),
      version: 0,
      deliveryInstructions: 'leave at the door',
      address: { ...testAddress(), state: 'NH', phoneNumber: '+31 (20) 555-0100' },
    });
    expect(order.items?.map(({ id: _id, ...rest }) => rest)).toEqual([
      {
        productId: PRODUCT_A,
        productName: `Product ${PRODUCT_A}`,
        quantity: 3,
        unitPrice: '12.50',
        lineTotal: '37.50',
      },
      {
        productId: PRODUCT_B,
        productName: `Product ${PRODUCT_B}`,
        quantity: 7,
        unitPrice: '0.10',
        lineTotal: '0.70',
      },
    ]);

    // The saga wrote the order as placed (PENDING), then carried it to CONFIRMED.
    const row = await ordersDb.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(row.totalAmount.toFixed(2)).toBe('38.20');
    const events = await ordersDb.orderEvent.findMany({
      where: { orderId: order.id },
      orderBy: { occurredAt: 'asc' },
    });
    expect(events.map((e) => [e.fromStatus, e.toStatus])).toEqual([
      [null, 'PENDING'],
      ['PENDING', 'CONFIRMED'],
    ]);
    const outbox = await ordersDb.outboxEvent.findMany({
      where: { aggregateId: order.id },
      orderBy: { occurredAt: 'asc' },
    });
    expect(outbox[0]?.type).toBe('ORDER_CREATED');
    expect(outbox[0]?.payload).toMatchObject({ orderId: order.id, totalAmount: '38.20', status: 'PENDING' });
    expect(outbox.filter((o) => o.type === 'ORDER_CREATED')).toHaveLength(1);

    const fetched = await request(app).get(`/api/orders/${order.id}`).expect(200);
    expect(fetched.body).toEqual({
      ...order,
      status: 'CONFIRMED',
      version: row.version,
      updatedAt: row.updatedAt.toISOString(),
    });
    const items = await request(app).get(`/api/orders/${order.id}/items`).expect(200);
    expect(items.body).toEqual(order.items);

    // The saga was really started on the configured queue, with the inventory's price as a string.
    const handle = temporal.workflow.getHandle(orderWorkflowId(order.id));
    const description = await handle.describe();
    expect(description.type).toBe('orderSaga');
    expect(description.taskQueue).toBe(QUEUE);
    expect(description.status.name).toBe('RUNNING');
    const history = await handle.fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = JSON.parse(Buffer.from(payload?.data ?? new Uint8Array()).toString()) as OrderSagaInput;
    expect(input).toMatchObject({
      orderId: order.id,
      customerId,
      totalAmount: '38.20',
      currency: 'USD',
      paymentMethod: 'tok_visa',
      allowBackorder: false,
      items: [
        { productId: PRODUCT_A, quantity: 3 },
        { productId: PRODUCT_B, quantity: 7 },
      ],
    });
  }, 30_000);
});

describe('POST /api/orders: Idempotency-Key', () => {
  it('returns the same order for the same key, marking the replay', async () => {
    const key = `key-${randomUUID()}`;
    const body = orderBody();
    const first = await createOrder(body, { 'Idempotency-Key': key });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await footprint();
    const second = await createOrder(body, { 'Idempotency-Key': key });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect((second.body as OrderView).id).toBe((first.body as OrderView).id);
    expect(second.body).toEqual(first.body);
    expect(await footprint()).toEqual(before);
    expect(await ordersDb.order.count({ where: { idempotencyKey: key } })).toBe(1);
  }, 30_000);

  it('answers 409 when the key is reused with different items, writing nothing', async () => {
    const key = `key-${randomUUID()}`;
    const body = orderBody();
    await createOrder(body, { 'Idempotency-Key': key });
    const before = await footprint();
    const other = await request(app)
      .post('/api/orders')
      .set('Idempotency-Key', key)
      .send({ ...body, items: [{ productId: PRODUCT_A, quantity: 2 }] });
    expect(other.status).toBe(409);
    expectErrorBody(other.body as ErrorBody, 409, '/api/orders');
    const otherCustomer = await request(app)
      .post('/api/orders')
      .set('Idempotency-Key', key)
      .send({ ...body, customerId: newCustomer() });
    expect(otherCustomer.status).toBe(409);
    expect(await footprint()).toEqual(before);
  }, 30_000);

  it('makes exactly one order from 5 concurrent requests with one key', async () => {
    const key = `key-${randomUUID()}`;
    const body = orderBody();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        request(app).post('/api/orders').set('Idempotency-Key', key).send(body),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const ids = new Set(responses.map((r) => (r.body as OrderView).id));
    expect(ids.size).toBe(1);
    const fresh = responses.filter((r) => r.headers['idempotent-replayed'] === undefined);
    expect(fresh).toHaveLength(1);
    const rows = await ordersDb.order.findMany({ where: { idempotencyKey: key } });
    expect(rows).toHaveLength(1);
    expect(await ordersDb.order.count({ where: { customerId: body.customerId } })).toBe(1);
    const [id] = [...ids];
    expect(await ordersDb.outboxEvent.count({ where: { aggregateId: id, type: 'ORDER_CREATED' } })).toBe(1);
  }, 30_000);
});

describe('GET /api/orders: paging, sorting, filtering', () => {
  const customerId = `${RUN}-pager`;
  const created: OrderView[] = [];

  beforeAll(async () => {
    // Quantities 1..5 of a 12.50 product: totals 12.50 .. 62.50, created one after another.
    for (const quantity of [3, 1, 5, 2, 4]) {
      const response = await createOrder({
        customerId,
        items: [{ productId: PRODUCT_A, quantity }],
        address: testAddress(),
      });
      created.push(response.body as OrderView);
    }
  }, 60_000);

  const list = async (query: string) => {
    const response = await request(app).get(`/api/orders?customerId=${customerId}&${query}`);
    expect(response.status).toBe(200);
    return response.body as Page<OrderView>;
  };

  it('pages with the envelope fields right', async () => {
    const first = await list('size=2&page=0&sort=totalAmount,asc');
    expect(first).toMatchObject({
      totalElements: 5,
      totalPages: 3,
      number: 0,
      size: 2,
      first: true,
      last: false,
    });
    expect(first.content.map((o) => o.totalAmount)).toEqual(['12.50', '25.00']);
    const middle = await list('size=2&page=1&sort=totalAmount,asc');
    expect(middle).toMatchObject({ number: 1, first: false, last: false });
    expect(middle.content.map((o) => o.totalAmount)).toEqual(['37.50', '50.00']);
    const last = await list('size=2&page=2&sort=totalAmount,asc');
    expect(last).toMatchObject({ totalElements: 5, totalPages: 3, number: 2, first: false, last: true });
    expect(last.content.map((o) => o.totalAmount)).toEqual(['62.50']);
    const beyond = await list('size=2&page=7');
    expect(beyond).toMatchObject({ content: [], totalElements: 5, number: 7, first: false, last: true });
    // Listed orders come without their items.
    expect(first.content[0]).not.toHaveProperty('items');
  });

  it('sorts by createdAt descending by default, and by the requested field and direction', async () => {
    const byDefault = await list('size=10');
    expect(byDefault.content.map((o) => o.id)).toEqual([...created].reverse().map((o) => o.id));
    const byCreatedAsc = await list('size=10&sort=createdAt,asc');
    expect(byCreatedAsc.content.map((o) => o.id)).toEqual(created.map((o) => o.id));
    const byTotalDesc = await list('size=10&sort=totalAmount,DESC');
    expect(byTotalDesc.content.map((o) => o.totalAmount)).toEqual([
      '62.50',
      '50.00',
      '37.50',
      '25.00',
      '12.50',
    ]);
  });

  it('filters by customerId and status', async () => {
    const confirmed = await list('status=CONFIRMED');
    expect(confirmed.totalElements).toBe(5);
    expect(confirmed.content.every((o) => o.customerId === customerId && o.status === 'CONFIRMED')).toBe(
      true,
    );
    const pending = await list('status=PENDING');
    expect(pending).toEqual({
      content: [],
      totalElements: 0,
      totalPages: 0,
      number: 0,
      size: 20,
      first: true,
      last: true,
    });
    const nobody = await request(app).get(`/api/orders?customerId=${RUN}-nobody`).expect(200);
    expect((nobody.body as Page<OrderView>).totalElements).toBe(0);
  });

  it.each([
    ['size=0', 'size'],
    ['size=101', 'size'],
    ['size=abc', 'size'],
    ['size=2.5', 'size'],
    ['page=-1', 'page'],
    ['sort=unknownField', 'sort'],
    ['sort=totalAmount,sideways', 'sort'],
    ['status=LOST', 'status'],
  ])('answers 400 for %s', async (query, field) => {
    const response = await request(app).get(`/api/orders?${query}`);
    expect(response.status).toBe(400);
    expectErrorBody(response.body as ErrorBody, 400, '/api/orders');
    expect(fieldsOf(response.body as ErrorBody)).toContain(field);
  });
});

describe('order by id: path validation and 404', () => {
  const callOrderRoute = (method: string, path: string) => {
    const agent = request(app);
    if (method === 'PUT') return agent.put(path).send({ newStatus: 'PROCESSING' });
    return method === 'DELETE' ? agent.delete(path) : agent.get(path);
  };

  it.each([
    ['GET', '/api/orders/not-a-uuid'],
    ['GET', '/api/orders/not-a-uuid/items'],
    ['GET', '/api/orders/not-a-uuid/saga'],
    ['PUT', '/api/orders/not-a-uuid/status'],
    ['DELETE', '/api/orders/not-a-uuid'],
  ])('%s %s answers 400 naming id', async (method, path) => {
    const response = await callOrderRoute(method, path);
    expect(response.status).toBe(400);
    expectErrorBody(response.body as ErrorBody, 400, path);
    expect((response.body as ErrorBody).validationErrors).toEqual([
      { field: 'id', rejectedValue: 'not-a-uuid', message: 'must be a UUID' },
    ]);
  });

  it.each([
    ['GET', ''],
    ['GET', '/items'],
    ['GET', '/saga'],
    ['PUT', '/status'],
    ['DELETE', ''],
  ])('%s an unknown order%s answers 404', async (method, suffix) => {
    const path = `/api/orders/${randomUUID()}${suffix}`;
    const response = await callOrderRoute(method, path);
    expect(response.status).toBe(404);
    expectErrorBody(response.body as ErrorBody, 404, path);
  });

  it('answers 400 for a status change to anything but a fulfilment status', async () => {
    const order = (await createOrder(orderBody())).body as OrderView;
    for (const body of [
      { newStatus: 'CANCELLED' },
      { newStatus: 'CONFIRMED' },
      {},
      { newStatus: 'SHIPPED', x: 1 },
    ]) {
      const response = await request(app).put(`/api/orders/${order.id}/status`).send(body);
      expect(response.status).toBe(400);
      expectErrorBody(response.body as ErrorBody, 400, `/api/orders/${order.id}/status`);
    }
    const unchanged = await ordersDb.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(unchanged.status).toBe('CONFIRMED');
  }, 30_000);
});

describe('Temporal unreachable', () => {
  it('answers 503 with a JSON body and writes nothing', async () => {
    const customerId = newCustomer('no-temporal');
    const key = `key-${randomUUID()}`;
    const before = await footprint();
    const startedAt = Date.now();
    const response = await request(appWithoutTemporal)
      .post('/api/orders')
      .set('Idempotency-Key', key)
      .send(orderBody({ customerId }));
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expectErrorBody(response.body as ErrorBody, 503, '/api/orders');
    expect((response.body as ErrorBody).error).toBe('Service Unavailable');
    // The API waits at most its placement deadline (ORDER_PLACEMENT_TIMEOUT, 5 s here), not indefinitely.
    expect(Date.now() - startedAt).toBeLessThan(15_000);

    expect(await footprint()).toEqual(before);
    expect(await ordersDb.order.count({ where: { customerId } })).toBe(0);
    expect(await ordersDb.order.count({ where: { idempotencyKey: key } })).toBe(0);
    expect(
      await ordersDb.outboxEvent.count({ where: { payload: { path: ['customerId'], equals: customerId } } }),
    ).toBe(0);

    // The key was not consumed: once Temporal is back, the same request makes the order.
    const retried = await createOrder(orderBody({ customerId }), { 'Idempotency-Key': key });
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await ordersDb.order.count({ where: { customerId } })).toBe(1);
  }, 40_000);

  it('answers 503 for the saga view of an existing order', async () => {
    const order = (await createOrder(orderBody())).body as OrderView;
    const response = await request(appWithoutTemporal).get(`/api/orders/${order.id}/saga`);
    expect(response.status).toBe(503);
    expectErrorBody(response.body as ErrorBody, 503, `/api/orders/${order.id}/saga`);
  }, 40_000);
});

/** Regressions: defects this suite found, fixed since. */
describe('regressions', () => {
  it('idempotency: reusing a key with a different address is a 409, not a replay', async () => {
    const key = `key-${randomUUID()}`;
    const body = orderBody();
    const first = await createOrder(body, { 'Idempotency-Key': key });
    const changed = await request(app)
      .post('/api/orders')
      .set('Idempotency-Key', key)
      .send({
        ...body,
        address: { ...testAddress(), streetAddress: '99 Other Road' },
        paymentMethod: 'tok_chargeDeclined',
      });
    // Before the request fingerprint: 201 with Idempotent-Replayed and the first order.
    expect({ status: changed.status, replayedId: (changed.body as OrderView).id }).toEqual({
      status: 409,
      replayedId: undefined,
    });
    expect((first.body as OrderView).address.streetAddress).toBe('1 Test Street');
  }, 30_000);

  it('unknown fields: validationErrors name the unknown field itself', async () => {
    const response = await request(app)
      .post('/api/orders')
      .send(
        orderBody({ items: [{ productId: PRODUCT_A, quantity: 1, unitPrice: '0.01' }], couponCode: 'X' }),
      );
    expect(response.status).toBe(400);
    // Before: the parent objects ('items.0', 'order') were named, with the whole object as value.
    expect(fieldsOf(response.body as ErrorBody).sort()).toEqual(['couponCode', 'items.0.unitPrice']);
  });
});
