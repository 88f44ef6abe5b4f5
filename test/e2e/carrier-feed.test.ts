/**
 * The carrier feed end to end on the running stack: orders placed through the API are confirmed by
 * the stack's saga worker; carrier reports (POST /api/carrier/events) travel outbox -> Debezium ->
 * trackops.orders -> the workflow-signals consumer -> the saga's advanceStatus signal, and the saga
 * records SHIPPED and DELIVERED. Each report signals once; a report for a closed saga is acknowledged.
 */
import { WORKFLOW_SIGNALS_CONSUMER } from '../../consumers/workflow-signals';
import { orderWorkflowId, sagaStateQuery } from '../../workflows/contract';
import { orderEvents, ordersOutbox, testRunId } from '../support/db';
import {
  closeStackClients,
  createProduct,
  createStackClients,
  http,
  testAddress,
  waitFor,
  waitForOrderStatus,
  type OrderBody,
} from '../support/orders-e2e';
import { processedRows, signalsOf } from '../support/signals';

const RUN = testRunId('carrierfeed');
/** Generous for a loaded CI machine: the signal normally lands within a second. */
const SIGNAL_WAIT_MS = 90_000;
const product = `${RUN}-p`;
const stack = createStackClients();
const { ordersDb, temporal } = stack;

beforeAll(async () => {
  await createProduct(product, 100, '9.99');
});

afterAll(() => closeStackClients(stack, RUN), 60_000);

let seq = 0;
async function confirmedOrder(): Promise<OrderBody> {
  const created = await http<OrderBody>('POST', '/api/orders', {
    customerId: `${RUN}-c${++seq}`,
    items: [{ productId: product, quantity: 1 }],
    address: testAddress(),
  });
  expect(created.status).toBe(201);
  return waitForOrderStatus(created.body.id, ['CONFIRMED'], 60_000);
}

const report = (orderId: string, status: string, eventId: string) =>
  http<{ id: string }>('POST', '/api/carrier/events', {
    orderId,
    status,
    carrier: 'dhl',
    trackingNumber: `TRK-${eventId}`,
    eventId,
  });

const shipmentEventIds = async (orderId: string) =>
  (await ordersOutbox(ordersDb, orderId, 'ORDER_SHIPMENT_EVENT')).map((row) => row.id);

const waitProcessed = (orderId: string, count: number) =>
  waitFor(
    `${count} shipment event(s) of ${orderId} to be processed`,
    async () => {
      const ids = await shipmentEventIds(orderId);
      const rows = await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, ids);
      return ids.length === count && rows.length === count ? rows : undefined;
    },
    { timeoutMs: SIGNAL_WAIT_MS },
  );

it('moves a confirmed order to SHIPPED and DELIVERED on carrier reports, one signal each', async () => {
  const order = await confirmedOrder();
  expect((await report(order.id, 'SHIPPED', `${RUN}-1a`)).status).toBe(201);
  await waitForOrderStatus(order.id, ['SHIPPED'], SIGNAL_WAIT_MS);
  // The carrier repeats itself: nothing new is written or signalled.
  expect((await report(order.id, 'SHIPPED', `${RUN}-1a`)).status).toBe(200);

  const state = await temporal.workflow.getHandle(orderWorkflowId(order.id)).query(sagaStateQuery);
  expect(state.timeline).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ step: 'SHIPPED', outcome: 'SIGNALLED', detail: 'carrier' }),
    ]),
  );

  expect((await report(order.id, 'DELIVERED', `${RUN}-1b`)).status).toBe(201);
  await waitForOrderStatus(order.id, ['DELIVERED'], SIGNAL_WAIT_MS);
  const handle = temporal.workflow.getHandle(orderWorkflowId(order.id));
  await expect(handle.result()).resolves.toEqual({ orderId: order.id, status: 'DELIVERED' });

  await waitProcessed(order.id, 2);
  const signals = await signalsOf(temporal, orderWorkflowId(order.id), 'advanceStatus');
  expect(signals.map((s) => s.arg)).toEqual([
    { newStatus: 'SHIPPED', source: 'carrier' },
    { newStatus: 'DELIVERED', source: 'carrier' },
  ]);
  const audit = await orderEvents(ordersDb, order.id);
  expect(audit.map((e) => [e.toStatus, (e.details as { source?: string } | null)?.source])).toEqual([
    ['PENDING', 'api'],
    ['CONFIRMED', 'saga'],
    ['SHIPPED', 'carrier'],
    ['DELIVERED', 'carrier'],
  ]);

  // A late report for the finished order is acknowledged (the saga is closed), not dead-lettered.
  expect((await report(order.id, 'DELIVERED', `${RUN}-1c`)).status).toBe(201);
  await waitProcessed(order.id, 3);
  expect(await signalsOf(temporal, orderWorkflowId(order.id), 'advanceStatus')).toHaveLength(2);
}, 360_000);

it('implies SHIPPED when the carrier reports a delivery of an order not shipped yet', async () => {
  const order = await confirmedOrder();
  expect((await report(order.id, 'DELIVERED', `${RUN}-2a`)).status).toBe(201);
  await waitForOrderStatus(order.id, ['DELIVERED'], SIGNAL_WAIT_MS);
  await waitProcessed(order.id, 1);
  const signals = await signalsOf(temporal, orderWorkflowId(order.id), 'advanceStatus');
  expect(signals.map((s) => s.arg)).toEqual([
    { newStatus: 'SHIPPED', source: 'carrier' },
    { newStatus: 'DELIVERED', source: 'carrier' },
  ]);
  const audit = await orderEvents(ordersDb, order.id);
  expect(audit.map((e) => e.toStatus)).toEqual(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED']);
}, 360_000);

it('does not signal back a status the API already changed through the saga', async () => {
  const order = await confirmedOrder();
  const shipped = await http<OrderBody>('PUT', `/api/orders/${order.id}/status`, { newStatus: 'SHIPPED' });
  expect(shipped.status).toBe(200);
  expect((await report(order.id, 'DELIVERED', `${RUN}-3a`)).status).toBe(201);
  await waitForOrderStatus(order.id, ['DELIVERED'], SIGNAL_WAIT_MS);
  await waitProcessed(order.id, 1);
  // SHIPPED came as an update from the API; only the carrier's DELIVERED is a signal.
  const signals = await signalsOf(temporal, orderWorkflowId(order.id), 'advanceStatus');
  expect(signals.map((s) => s.arg)).toEqual([{ newStatus: 'DELIVERED', source: 'carrier' }]);
}, 360_000);
