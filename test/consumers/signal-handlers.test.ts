/**
 * The workflow-signals and restock-signals handlers called directly (no Kafka) against the stack's
 * orders database and Temporal server: what each event signals, what it acknowledges, what it
 * retries or dead-letters, and that a redelivery after a crash between signal and record does not
 * signal again. Sagas run on a task queue no worker polls: their histories record the signals.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { IHeaders, KafkaMessage, Producer, ProducerRecord } from 'kafkajs';
import {
  backordersWaitingOn,
  RESTOCK_SIGNALS_CONSUMER,
  restockSignalsConsumer,
} from '../../consumers/restock-signals';
import { sendToDeadLetterTopic } from '../../consumers/runtime/dead-letter';
import { SchemaViolationError } from '../../consumers/runtime/outbox-event';
import { PermanentError } from '../../consumers/runtime/retry';
import { signalOnce, signalRequestId } from '../../consumers/signal-once';
import {
  OrderNotConfirmedYetError,
  WORKFLOW_SIGNALS_CONSUMER,
  workflowSignalsConsumer,
} from '../../consumers/workflow-signals';
import type { Order } from '../../domain/orders/db';
import type { OrderShipmentEventPayload } from '../../events/payloads';
import { createLogger } from '../../lib/logger';
import { createTemporalClient } from '../../lib/temporal-client';
import { orderWorkflowId, type OrderStatus } from '../../workflows/contract';
import { closeTestDbs, createPendingOrder, createTestDbs, createTestItem, testRunId } from '../support/db';
import { terminateSagas } from '../support/orders-e2e';
import { processedRows, signalsOf, startSagaFor } from '../support/signals';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('sighandle');
const QUEUE = `orders-sighandle-idle-${RUN}`;
const dbs = createTestDbs(4);
const { ordersDb } = dbs;
const logger = createLogger('test', 'silent');
let temporal: Client;
const orders: Order[] = [];
const productA = `${RUN}-a`;
const productB = `${RUN}-b`;

beforeAll(async () => {
  temporal = createTemporalClient(stackConfig.TEMPORAL_ADDRESS, stackConfig.TEMPORAL_NAMESPACE);
  await createTestItem(dbs.inventoryDb, productA, 10);
  await createTestItem(dbs.inventoryDb, productB, 10);
});

afterAll(async () => {
  await terminateSagas(
    temporal,
    orders.map((o) => o.id),
  );
  await closeTestDbs(dbs, RUN);
  await temporal.connection.close();
});

let seq = 0;
async function orderWithSaga(
  status: OrderStatus,
  { productId = productA, allowBackorder = false, saga = true } = {},
): Promise<Order> {
  const items = [{ productId, quantity: 1 }];
  const created = await createPendingOrder(dbs, `${RUN}-c${++seq}`, items);
  const order = await ordersDb.order.update({ where: { id: created.id }, data: { status, allowBackorder } });
  if (saga) await startSagaFor(temporal, order, QUEUE, items);
  orders.push(order);
  return order;
}

function outboxMessage(type: string, key: string, payload: unknown, headers: IHeaders = {}) {
  const id = randomUUID();
  const message = {
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify(payload)),
    headers: {
      id,
      eventType: type,
      aggregateType: type.startsWith('INVENTORY') ? 'inventory' : 'orders',
      aggregateId: key,
      schemaVersion: '1',
      occurredAt: new Date().toISOString(),
      ...headers,
    },
    offset: '0',
    timestamp: String(Date.now()),
    attributes: 0,
  } as KafkaMessage;
  return { id, incoming: { topic: 'trackops.orders', partition: 0, message } };
}

/** A carrier report as domain/orders/shipment-events.ts writes it. */
const shipmentPayload = (
  order: Pick<Order, 'id' | 'customerId'>,
  status: 'SHIPPED' | 'DELIVERED',
): OrderShipmentEventPayload => ({
  orderId: order.id,
  customerId: order.customerId,
  shipmentEventId: randomUUID(),
  carrier: 'dhl',
  carrierEventId: randomUUID(),
  status,
  trackingNumber: null,
  occurredAt: new Date().toISOString(),
});

const shipment = (order: Order, status: 'SHIPPED' | 'DELIVERED') =>
  outboxMessage('ORDER_SHIPMENT_EVENT', order.id, shipmentPayload(order, status));

const statusSignals = async (order: Order) =>
  (await signalsOf(temporal, orderWorkflowId(order.id), 'advanceStatus')).map((s) => s.arg);

describe('workflow-signals', () => {
  const consumer = () => workflowSignalsConsumer({ ordersDb, temporal, logger });

  it('signals a shipment once, also when redelivered after a crash between signal and record', async () => {
    const order = await orderWithSaga('CONFIRMED');
    const { id, incoming } = shipment(order, 'SHIPPED');
    // A first delivery signalled and crashed before recording processed_events.
    await signalOnce(temporal, {
      workflowId: orderWorkflowId(order.id),
      signalName: 'advanceStatus',
      arg: { newStatus: 'SHIPPED', source: 'carrier' },
      requestId: signalRequestId(WORKFLOW_SIGNALS_CONSUMER, id, 'SHIPPED'),
    });
    await consumer().handle(incoming);
    await consumer().handle(incoming);
    expect(await statusSignals(order)).toEqual([{ newStatus: 'SHIPPED', source: 'carrier' }]);
    expect(await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, [id])).toHaveLength(1);
  });

  it('sends SHIPPED before DELIVERED for an order that has not shipped, and only DELIVERED after', async () => {
    const confirmed = await orderWithSaga('PROCESSING');
    await consumer().handle(shipment(confirmed, 'DELIVERED').incoming);
    expect(await statusSignals(confirmed)).toEqual([
      { newStatus: 'SHIPPED', source: 'carrier' },
      { newStatus: 'DELIVERED', source: 'carrier' },
    ]);
    const shipped = await orderWithSaga('SHIPPED');
    await consumer().handle(shipment(shipped, 'DELIVERED').incoming);
    expect(await statusSignals(shipped)).toEqual([{ newStatus: 'DELIVERED', source: 'carrier' }]);
  });

  it('acknowledges without a signal what changes nothing: passed status, cancelled order, closed saga', async () => {
    const passed = await orderWithSaga('DELIVERED');
    const cancelled = await orderWithSaga('CANCELLED');
    const closed = await orderWithSaga('CONFIRMED');
    await temporal.workflow.getHandle(orderWorkflowId(closed.id)).terminate('test: closed saga');
    const noSaga = await orderWithSaga('CONFIRMED', { saga: false });
    const events = [
      shipment(passed, 'SHIPPED'),
      shipment(cancelled, 'SHIPPED'),
      shipment(closed, 'SHIPPED'),
      shipment(noSaga, 'SHIPPED'),
    ];
    for (const event of events) await consumer().handle(event.incoming);
    expect(
      await processedRows(
        ordersDb,
        WORKFLOW_SIGNALS_CONSUMER,
        events.map((e) => e.id),
      ),
    ).toHaveLength(4);
    expect(await statusSignals(passed)).toEqual([]);
    expect(await statusSignals(cancelled)).toEqual([]);
  });

  it('retries an order not confirmed yet, dead-letters what can never apply, ignores other events', async () => {
    const pending = await orderWithSaga('PENDING');
    const waiting = shipment(pending, 'SHIPPED');
    await expect(consumer().handle(waiting.incoming)).rejects.toBeInstanceOf(OrderNotConfirmedYetError);
    await expect(consumer().handle(waiting.incoming)).rejects.not.toBeInstanceOf(PermanentError);
    expect(await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, [waiting.id])).toEqual([]);

    const ghostOrder = { id: randomUUID(), customerId: 'nobody' };
    const ghost = outboxMessage(
      'ORDER_SHIPMENT_EVENT',
      ghostOrder.id,
      shipmentPayload(ghostOrder, 'SHIPPED'),
    );
    await expect(consumer().handle(ghost.incoming)).rejects.toThrow(/not found/);
    await expect(consumer().handle(ghost.incoming)).rejects.toBeInstanceOf(PermanentError);
    const bad = outboxMessage('ORDER_SHIPMENT_EVENT', 'k', { orderId: 'nope', status: 'LOST' });
    await expect(consumer().handle(bad.incoming)).rejects.toBeInstanceOf(PermanentError);
    // Refused by the committed schema, every offending field named.
    const refusal = consumer().handle(bad.incoming);
    await expect(refusal).rejects.toBeInstanceOf(SchemaViolationError);
    await expect(refusal).rejects.toThrow(
      /ORDER_SHIPMENT_EVENT v1 payload does not match its schema: .*\/orderId must match format "uuid"/,
    );
    await expect(consumer().handle(bad.incoming)).rejects.toThrow(/must have required property 'carrier'/);

    const other = outboxMessage('ORDER_CONFIRMED', pending.id, { orderId: pending.id });
    await consumer().handle(other.incoming);
    expect(await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, [other.id])).toEqual([]);
  });

  it('dead-letters a message with null-valued headers (Debezium NULL columns) without them', async () => {
    const { incoming } = outboxMessage(
      'ORDER_CONFIRMED',
      'k',
      {},
      { traceparent: null as unknown as string },
    );
    expect(Object.keys(incoming.message.headers!)).toContain('traceparent');
    const sent: ProducerRecord[] = [];
    const producer = {
      send: async (record: ProducerRecord) => void sent.push(record),
    } as unknown as Producer;
    await sendToDeadLetterTopic(producer, {
      ...incoming,
      error: new Error('poison'),
      attempts: 1,
      consumer: WORKFLOW_SIGNALS_CONSUMER,
    });
    expect(Object.keys(sent[0]?.messages[0]?.headers ?? {})).not.toContain('traceparent');
  });
});

describe('restock-signals', () => {
  const consumer = () => restockSignalsConsumer({ ordersDb, temporal, logger });
  const restock = (productId: string) =>
    outboxMessage('INVENTORY_RESTOCKED', productId, {
      productId,
      previousAvailable: 0,
      available: 5,
      added: 5,
    });

  it('signals every PENDING backorder with the product, once, and nothing else', async () => {
    const waitingA1 = await orderWithSaga('PENDING', { allowBackorder: true });
    const waitingA2 = await orderWithSaga('PENDING', { allowBackorder: true });
    const notBackorder = await orderWithSaga('PENDING');
    const confirmed = await orderWithSaga('CONFIRMED', { allowBackorder: true });
    const otherProduct = await orderWithSaga('PENDING', { allowBackorder: true, productId: productB });
    const closed = await orderWithSaga('PENDING', { allowBackorder: true });
    await temporal.workflow.getHandle(orderWorkflowId(closed.id)).terminate('test: closed saga');

    expect((await backordersWaitingOn(ordersDb, productA)).sort()).toEqual(
      [waitingA1.id, waitingA2.id, closed.id].sort(),
    );
    const { id, incoming } = restock(productA);
    await consumer().handle({ ...incoming, topic: 'trackops.inventory' });
    await consumer().handle({ ...incoming, topic: 'trackops.inventory' });
    for (const order of [waitingA1, waitingA2]) {
      expect((await signalsOf(temporal, orderWorkflowId(order.id), 'restock')).map((s) => s.arg)).toEqual([
        { productId: productA },
      ]);
    }
    for (const order of [notBackorder, confirmed, otherProduct]) {
      expect(await signalsOf(temporal, orderWorkflowId(order.id), 'restock')).toEqual([]);
    }
    expect(await processedRows(ordersDb, RESTOCK_SIGNALS_CONSUMER, [id])).toHaveLength(1);

    await expect(
      consumer().handle(outboxMessage('INVENTORY_RESTOCKED', 'x', { added: 1 }).incoming),
    ).rejects.toBeInstanceOf(PermanentError);
    await expect(
      consumer().handle(outboxMessage('INVENTORY_RESTOCKED', 'x', { added: 1 }).incoming),
    ).rejects.toThrow(/must have required property 'productId'/);
  });
});
