/**
 * Kafka Connect down: DISRUPTIVE, so it lives in test/serial, which `bin/trackops test` runs on its
 * own after every other suite (jest.serial.config.js): while Connect is stopped no change of any
 * suite reaches Kafka.
 *
 * With Connect stopped (`trackops stack down connect`), orders written by the domain code, carrier
 * reports (the API's router, run in this process) and a restock (domain code) pile up in the
 * outbox tables, unpublished. The fallback relay (a consumers process of this test with
 * OUTBOX_RELAY_ENABLED, running every consumer group) publishes them and the consumers apply them.
 * When Connect is back (`trackops stack up connect api consumers`, in case something stopped
 * those too), Debezium resumes from its replication slot and delivers every one of them again:
 * each event is on Kafka twice, and applied once. The outage part uses neither the stack's API
 * nor its consumers process.
 */
import { staffRequest as request } from '../support/auth';
import { createApp } from '../../api/app';
import { RESTOCK_SIGNALS_CONSUMER } from '../../consumers/restock-signals';
import { WORKFLOW_SIGNALS_CONSUMER } from '../../consumers/workflow-signals';
import { updateItem } from '../../domain/inventory/catalog';
import { placeOrderThroughSaga } from '../support/orders';
import { createLogger } from '../../lib/logger';
import { ORDERS_TASK_QUEUE, orderWorkflowId } from '../../workflows/contract';
import { signalGroup } from '../support/child-process';
import { testRunId } from '../support/db';
import {
  closeStackClients,
  createProduct,
  createStackClients,
  http,
  sleep,
  testAddress,
  waitFor,
  waitForOrderStatus,
  type OrderBody,
} from '../support/orders-e2e';
import {
  processedRows,
  runCli,
  signalsOf,
  startConsumersProcess,
  TopicWatcher,
  type ConsumersProcess,
} from '../support/signals';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('outage');
const OUTBOX_TOPICS = ['trackops.orders', 'trackops.inventory', 'trackops.payments'];

const stack = createStackClients(6);
const { ordersDb, inventoryDb, temporal, redis } = stack;
let watcher: TopicWatcher | undefined;
let relayProcess: ConsumersProcess | undefined;

describe('Kafka Connect outage', () => {
  afterAll(async () => {
    if (relayProcess) signalGroup(relayProcess, 'SIGKILL');
    await watcher?.stop().catch(() => undefined);
    await closeStackClients(stack, RUN);
  }, 60_000);

  const connectorsRunning = async () => {
    const response = await fetch(`${stackConfig.KAFKA_CONNECT_URL}/connectors?expand=status`);
    const body = (await response.json()) as Record<
      string,
      { status: { connector: { state: string }; tasks: { state: string }[] } }
    >;
    return Object.values(body).every(
      (c) => c.status.connector.state === 'RUNNING' && c.status.tasks.every((t) => t.state === 'RUNNING'),
    );
  };

  let seq = 0;
  const apiOrder = async (productId: string, allowBackorder = false) => {
    const created = await http<OrderBody>('POST', '/api/orders', {
      customerId: `${RUN}-c${++seq}`,
      items: [{ productId, quantity: 1 }],
      address: testAddress(),
      allowBackorder,
    });
    expect(created.status).toBe(201);
    return created.body;
  };

  it('keeps every event of an outage: relayed while Connect is down, delivered again after, applied once', async () => {
    // Before the outage: a backorder waiting for product P, and three confirmed orders.
    const productP = `${RUN}-p`;
    const productQ = `${RUN}-q`;
    await createProduct(productP, 0, '3.00');
    await createProduct(productQ, 100, '3.00');
    const backorder = await apiOrder(productP, true);
    const confirmed = [await apiOrder(productQ), await apiOrder(productQ), await apiOrder(productQ)];
    for (const order of confirmed) await waitForOrderStatus(order.id, ['CONFIRMED'], 60_000);
    await waitFor('the backorder to wait for a restock', async () => {
      const saga = await http<{ step: string }>('GET', `/api/orders/${backorder.id}/saga`);
      return saga.body.step === 'AWAITING_RESTOCK' ? true : undefined;
    });
    expect(await connectorsRunning()).toBe(true);
    watcher = await new TopicWatcher(OUTBOX_TOPICS).start();

    // The API's routers in this process: the stack's API goes down with Connect.
    const app = createApp({
      config: { ...stackConfig, LOG_LEVEL: 'silent' },
      logger: createLogger('test', 'silent'),
      ordersDb,
      inventoryDb,
      temporal,
      redis,
    });
    const dbStatus = (id: string, status: string) =>
      waitFor(
        `order ${id} to become ${status}`,
        async () =>
          (await ordersDb.order.findUnique({ where: { id } }))?.status === status ? true : undefined,
        { timeoutMs: 60_000 },
      );

    const down = await runCli(['stack', 'down', 'connect']);
    expect(down.code).toBe(0);
    const outageStart = new Date();
    const outageIds: { orders: string[]; inventory: string[] } = { orders: [], inventory: [] };
    try {
      // Orders written by the domain code, carried by the stack's saga worker, during the outage.
      const written: string[] = [];
      for (let i = 0; i < 3; i++) {
        const items = [{ productId: productQ, quantity: 1 }];
        const order = await placeOrderThroughSaga({ ordersDb, inventoryDb }, temporal, ORDERS_TASK_QUEUE, {
          customerId: `${RUN}-d${i}`,
          items,
          address: testAddress(),
        });
        written.push(order.id);
      }
      for (const id of written) await dbStatus(id, 'CONFIRMED');
      for (const [i, order] of confirmed.entries()) {
        const report = await request(app)
          .post('/api/carrier/events')
          .send({
            orderId: order.id,
            status: 'SHIPPED',
            carrier: 'dhl',
            eventId: `${RUN}-ship-${i}`,
          });
        expect(report.status).toBe(201);
      }
      expect((await updateItem(inventoryDb, productP, { availableQuantity: 2 })).restocked).toBe(true);

      const mine = [...written, ...confirmed.map((o) => o.id)];
      outageIds.orders = (
        await ordersDb.outboxEvent.findMany({
          where: { aggregateId: { in: mine }, occurredAt: { gte: outageStart } },
        })
      ).map((r) => r.id);
      outageIds.inventory = (
        await inventoryDb.outboxEvent.findMany({
          where: { aggregateId: { in: [...mine, productP] }, occurredAt: { gte: outageStart } },
        })
      ).map((r) => r.id);
      // ORDER_CREATED, PAYMENT_AUTHORIZED, PAYMENT_CAPTURED, ORDER_CONFIRMED per written order, a
      // shipment event per confirmed one; reservations, commits and the restock in inventory.
      expect(outageIds.orders.length).toBeGreaterThanOrEqual(3 * 4 + 3);
      expect(outageIds.inventory.length).toBeGreaterThanOrEqual(3 * 2 + 1);
      const all = [...outageIds.orders, ...outageIds.inventory];

      // Nothing reached Kafka: the rows are unpublished, the orders not shipped.
      await sleep(2000);
      expect(watcher.seen.filter((m) => all.includes(m.headers.id ?? ''))).toEqual([]);
      const pending = await ordersDb.outboxEvent.count({
        where: { id: { in: outageIds.orders }, publishedAt: null },
      });
      expect(pending).toBe(outageIds.orders.length);
      const stats = await request(app).get('/api/events/stats');
      expect((stats.body as { unpublished: number }).unpublished).toBeGreaterThanOrEqual(all.length);
      expect((await ordersDb.order.findUniqueOrThrow({ where: { id: confirmed[0]!.id } })).status).toBe(
        'CONFIRMED',
      );

      // The fallback relay publishes them; the consumers (this test's process) apply them.
      relayProcess = await startConsumersProcess('outage-relay', {
        OUTBOX_RELAY_ENABLED: 'true',
        OUTBOX_RELAY_INTERVAL_MS: '200',
      });
      await waitFor('the relay to publish every outage event', async () => {
        const seen = new Set(watcher!.seen.map((m) => m.headers.id));
        return all.every((id) => seen.has(id)) ? true : undefined;
      });
      for (const order of confirmed) await dbStatus(order.id, 'SHIPPED');
      await dbStatus(backorder.id, 'CONFIRMED');
      expect(
        await ordersDb.outboxEvent.count({ where: { id: { in: outageIds.orders }, publishedAt: null } }),
      ).toBe(0);
      signalGroup(relayProcess, 'SIGTERM');
      expect(await relayProcess.exited).toEqual({ code: 0, signal: null });
      relayProcess = undefined;
    } finally {
      if (relayProcess) signalGroup(relayProcess, 'SIGKILL');
      const up = await runCli(['stack', 'up', 'connect', 'api', 'consumers'], 300_000);
      expect(up.code).toBe(0);
    }
    console.info(`Connect was down for ${Date.now() - outageStart.getTime()} ms`);
    await waitFor(
      'the connectors to run again',
      async () => ((await connectorsRunning()) ? true : undefined),
      {
        timeoutMs: 120_000,
      },
    );

    // Debezium resumes from its slot: every outage event arrives a second time...
    const all = [...outageIds.orders, ...outageIds.inventory];
    await waitFor(
      'CDC to deliver every outage event after the restart',
      async () => {
        const copies = new Map<string, number>();
        for (const m of watcher!.seen)
          copies.set(m.headers.id ?? '', (copies.get(m.headers.id ?? '') ?? 0) + 1);
        return all.every((id) => (copies.get(id) ?? 0) >= 2) ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );

    // ... and is applied once: one processed_events row and one signal per event.
    const shipmentIds = (
      await ordersDb.outboxEvent.findMany({
        where: { id: { in: outageIds.orders }, type: 'ORDER_SHIPMENT_EVENT' },
      })
    ).map((r) => r.id);
    expect(shipmentIds).toHaveLength(3);
    await sleep(3000);
    expect(await processedRows(ordersDb, WORKFLOW_SIGNALS_CONSUMER, shipmentIds)).toHaveLength(3);
    for (const order of confirmed) {
      expect(
        (await signalsOf(temporal, orderWorkflowId(order.id), 'advanceStatus')).map((s) => s.arg),
      ).toEqual([{ newStatus: 'SHIPPED', source: 'carrier' }]);
    }
    const restocks = (
      await inventoryDb.outboxEvent.findMany({
        where: { id: { in: outageIds.inventory }, type: 'INVENTORY_RESTOCKED' },
      })
    ).map((r) => r.id);
    expect(restocks).toHaveLength(1);
    expect(await processedRows(ordersDb, RESTOCK_SIGNALS_CONSUMER, restocks)).toHaveLength(1);
    expect(await signalsOf(temporal, orderWorkflowId(backorder.id), 'restock')).toHaveLength(1);
  }, 600_000);
});
