/**
 * The carrier feed endpoint (POST /api/carrier/events) through supertest against createApp with
 * real dependencies (the stack's Postgres, Redis, Temporal): validation, the shipment_events row
 * and its ORDER_SHIPMENT_EVENT outbox row written together, and de-duplication by the carrier's
 * event id. The stack's consumers see these events; the orders are made CONFIRMED first so the
 * workflow-signals consumer acknowledges them (no saga exists for them), and afterAll waits for
 * that before removing the rows.
 */
import { randomUUID } from 'node:crypto';
import { staffRequest as request } from '../support/auth';
import { createApp } from '../../api/app';
import { WORKFLOW_SIGNALS_CONSUMER } from '../../consumers/workflow-signals';
import type { Order } from '../../domain/orders/db';
import { createLogger } from '../../lib/logger';
import { createPendingOrder, createTestItem, ordersOutbox, testRunId } from '../support/db';
import { closeStackClients, createStackClients, waitFor } from '../support/orders-e2e';
import { processedRows } from '../support/signals';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('carrier');
const stack = createStackClients(6);
const { ordersDb } = stack;
const app = createApp({
  config: { ...stackConfig, LOG_LEVEL: 'silent', TEMPORAL_TASK_QUEUE: `carrier-api-${RUN}` },
  logger: createLogger('test', 'silent'),
  ...stack,
});
const product = `${RUN}-p`;
const outboxIds: string[] = [];

beforeAll(async () => {
  await createTestItem(stack.inventoryDb, product, 100);
});

afterAll(async () => {
  try {
    // Let the stack's workflow-signals consumer acknowledge the events before their orders go.
    await waitFor(
      "the workflow-signals consumer to acknowledge the run's shipment events",
      async () =>
        (await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, outboxIds)).length === outboxIds.length
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    ).catch((error: unknown) => console.warn(String(error)));
  } finally {
    await closeStackClients(stack, RUN);
  }
}, 60_000);

let seq = 0;
async function confirmedOrder(): Promise<Order> {
  const order = await createPendingOrder(stack, `${RUN}-c${++seq}`, [{ productId: product, quantity: 1 }]);
  await ordersDb.order.update({ where: { id: order.id }, data: { status: 'CONFIRMED', version: 1 } });
  return order;
}

const shipmentOutbox = async (orderId: string) => {
  const rows = await ordersOutbox(ordersDb, orderId, 'ORDER_SHIPMENT_EVENT');
  for (const row of rows) if (!outboxIds.includes(row.id)) outboxIds.push(row.id);
  return rows;
};

describe('POST /api/carrier/events', () => {
  it('refuses malformed reports, naming the fields', async () => {
    const order = await confirmedOrder();
    const cases: [Record<string, unknown>, string][] = [
      [{ orderId: order.id, status: 'SHIPPED', carrier: 'dhl' }, 'eventId'],
      [{ orderId: order.id, status: 'PROCESSING', carrier: 'dhl', eventId: 'e1' }, 'status'],
      [{ orderId: 'nope', status: 'SHIPPED', carrier: 'dhl', eventId: 'e1' }, 'orderId'],
      [{ orderId: order.id, status: 'SHIPPED', carrier: ' ', eventId: 'e1' }, 'carrier'],
      [
        { orderId: order.id, status: 'SHIPPED', carrier: 'dhl', eventId: 'e1', occurredAt: 'yesterday' },
        'occurredAt',
      ],
      [{ orderId: order.id, status: 'SHIPPED', carrier: 'dhl', eventId: 'e1', colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const response = await request(app).post('/api/carrier/events').send(body);
      expect({ field, status: response.status }).toEqual({ field, status: 400 });
      expect((response.body as { validationErrors: { field: string }[] }).validationErrors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    }
    expect(await ordersDb.shipmentEvent.count({ where: { orderId: order.id } })).toBe(0);
  });

  it('answers 404 for an unknown order and writes nothing', async () => {
    const response = await request(app)
      .post('/api/carrier/events')
      .send({ orderId: randomUUID(), status: 'SHIPPED', carrier: 'dhl', eventId: `${RUN}-unknown` });
    expect(response.status).toBe(404);
    expect(await ordersDb.shipmentEvent.count({ where: { carrierEventId: `${RUN}-unknown` } })).toBe(0);
  });

  it('records the report and its outbox event together; a repeat answers 200 with the same row', async () => {
    const order = await confirmedOrder();
    const eventId = `${RUN}-ship-1`;
    const body = {
      orderId: order.id,
      status: 'SHIPPED',
      carrier: 'dhl',
      trackingNumber: 'JJD000390007',
      occurredAt: '2026-11-25T10:00:00.000+01:00',
      eventId,
    };
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const created = await request(app).post('/api/carrier/events').set('traceparent', traceparent).send(body);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String) as unknown,
      orderId: order.id,
      carrier: 'dhl',
      eventId,
      status: 'SHIPPED',
      trackingNumber: 'JJD000390007',
      occurredAt: '2026-11-25T09:00:00.000Z',
      receivedAt: expect.any(String) as unknown,
    });
    const row = created.body as { id: string };
    expect(created.headers.location).toBe(`/api/carrier/events/${row.id}`);

    const outbox = await shipmentOutbox(order.id);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({
      aggregateType: 'orders',
      aggregateId: order.id,
      type: 'ORDER_SHIPMENT_EVENT',
      traceparent,
      schemaVersion: 1,
      payload: {
        orderId: order.id,
        customerId: order.customerId,
        shipmentEventId: row.id,
        carrier: 'dhl',
        carrierEventId: eventId,
        status: 'SHIPPED',
        trackingNumber: 'JJD000390007',
        occurredAt: '2026-11-25T09:00:00.000Z',
      },
    });

    const repeat = await request(app).post('/api/carrier/events').send(body);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(created.body);
    expect(await ordersDb.shipmentEvent.count({ where: { orderId: order.id } })).toBe(1);
    expect(await shipmentOutbox(order.id)).toHaveLength(1);

    const fetched = await request(app).get(`/api/carrier/events/${row.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
    expect((await request(app).get(`/api/carrier/events/${randomUUID()}`)).status).toBe(404);
  });

  it('refuses a repeated carrier event id that says something else (409); another carrier may reuse it', async () => {
    const order = await confirmedOrder();
    const eventId = `${RUN}-ship-2`;
    const first = await request(app)
      .post('/api/carrier/events')
      .send({ orderId: order.id, status: 'SHIPPED', carrier: 'ups', eventId });
    expect(first.status).toBe(201);
    const changed = await request(app)
      .post('/api/carrier/events')
      .send({ orderId: order.id, status: 'DELIVERED', carrier: 'ups', eventId });
    expect(changed.status).toBe(409);
    const other = await request(app)
      .post('/api/carrier/events')
      .send({ orderId: order.id, status: 'DELIVERED', carrier: 'fedex', eventId });
    expect(other.status).toBe(201);
    expect(await ordersDb.shipmentEvent.count({ where: { orderId: order.id } })).toBe(2);
    expect(await shipmentOutbox(order.id)).toHaveLength(2);
  });

  it('writes one row when the same report arrives many times at once', async () => {
    const order = await confirmedOrder();
    const body = { orderId: order.id, status: 'DELIVERED', carrier: 'dhl', eventId: `${RUN}-burst` };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => request(app).post('/api/carrier/events').send(body)),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((r) => (r.body as { id: string }).id)).size).toBe(1);
    expect(await ordersDb.shipmentEvent.count({ where: { orderId: order.id } })).toBe(1);
    expect(await shipmentOutbox(order.id)).toHaveLength(1);
  });
});
