/**
 * `bin/trackops stack up --scale worker=2,consumers=2,api=2` on the running stack: a second worker,
 * consumers process and API start on their own ports, every consumer group gets a second member,
 * and orders placed through both API instances are each confirmed, charged once and, after one
 * carrier report each, signalled once (two workers polling one queue, two members per group).
 * Then `--scale worker=1,consumers=1,api=1` stops the extra instances again.
 *
 * In test/serial: the extra members make every stack consumer group rebalance twice.
 */
import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { APPLICATION_EVENTS_CONSUMER } from '../../consumers/application-events';
import { CACHE_CONSUMER_NAME } from '../../consumers/cache-consumer';
import { RESTOCK_SIGNALS_CONSUMER } from '../../consumers/restock-signals';
import { WORKFLOW_SIGNALS_CONSUMER } from '../../consumers/workflow-signals';
import type { ComponentStatus } from '../../deploy/stack/component';
import { orderWorkflowId } from '../../workflows/contract';
import { authHeader, staffRoleFor } from '../support/auth';
import { ordersOutbox, testRunId } from '../support/db';
import {
  closeStackClients,
  createProduct,
  createStackClients,
  ledgerByOrder,
  terminateSagas,
  testAddress,
  waitFor,
} from '../support/orders-e2e';
import { kafka, processedRows, runCli, signalsOf } from '../support/signals';
import { scaleAppProcesses } from '../support/stack-scale';
import { stackConfig } from '../support/stack-env';

jest.setTimeout(420_000);

const RUN = testRunId('scale');
const ORDERS = 16;
const API_PORTS = [stackConfig.API_PORT, stackConfig.API_PORT + 1];
const GROUPS = [
  APPLICATION_EVENTS_CONSUMER,
  CACHE_CONSUMER_NAME,
  WORKFLOW_SIGNALS_CONSUMER,
  RESTOCK_SIGNALS_CONSUMER,
];

const stack = createStackClients(4);
let admin: Admin;
const orderIds: string[] = [];

async function callApi<T>(port: number, method: string, route: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...authHeader(staffRoleFor(method, route)) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const scaleTo = scaleAppProcesses;

async function stackStatus(): Promise<ComponentStatus[]> {
  const result = await runCli(['stack', 'status', '--json'], 60_000);
  return JSON.parse(result.stdout) as ComponentStatus[];
}

const membersOf = async (group: string) =>
  (await admin.describeGroups([group])).groups[0]?.members.length ?? 0;

beforeAll(async () => {
  admin = kafka().admin();
  await admin.connect();
  await scaleTo(2);
}, 300_000);

afterAll(async () => {
  try {
    await terminateSagas(stack.temporal, orderIds);
    // Whatever failed above, the next suites find one instance of each.
    await scaleTo(1).catch(() => undefined);
  } finally {
    await admin.disconnect();
    await closeStackClients(stack, RUN);
  }
}, 300_000);

it('runs two instances of each app process, each healthy on its own ports', async () => {
  const statuses = await stackStatus();
  const instancesOf = (name: string) => statuses.find((s) => s.name === name)?.instances ?? [];
  expect(instancesOf('api').map((i) => i.port)).toEqual(API_PORTS);
  expect(instancesOf('worker').map((i) => i.port)).toEqual([
    stackConfig.WORKER_METRICS_PORT,
    stackConfig.WORKER_METRICS_PORT + 100,
  ]);
  expect(instancesOf('consumers').map((i) => i.port)).toEqual([
    stackConfig.CONSUMERS_METRICS_PORT,
    stackConfig.CONSUMERS_METRICS_PORT + 100,
  ]);
  for (const name of ['api', 'worker', 'consumers']) {
    const instances = instancesOf(name);
    expect(instances.every((i) => i.healthy)).toBe(true);
    expect(new Set(instances.map((i) => i.pid)).size).toBe(2);
  }
  for (const group of GROUPS) {
    await waitFor(
      `${group} to have two members`,
      async () => ((await membersOf(group)) === 2 ? true : undefined),
      {
        timeoutMs: 90_000,
        intervalMs: 1000,
      },
    );
  }
});

it('confirms orders placed through either API once each, and signals each carrier report once', async () => {
  const productId = `${RUN}-BOX`;
  await createProduct(productId, ORDERS * 2, '5.00');
  const placed = await Promise.all(
    Array.from({ length: ORDERS }, (_, i) =>
      callApi<{ id: string }>(API_PORTS[i % 2]!, 'POST', '/api/orders', {
        customerId: `${RUN}-c${i}`,
        items: [{ productId, quantity: 1 }],
        address: testAddress(),
      }),
    ),
  );
  expect(placed.map((p) => p.status)).toEqual(Array(ORDERS).fill(201));
  orderIds.push(...placed.map((p) => p.body.id));

  // Each order read back through the other instance.
  await waitFor(
    'every order to be CONFIRMED',
    async () => {
      const statuses = await Promise.all(
        orderIds.map(
          async (id, i) =>
            (await callApi<{ status: string }>(API_PORTS[(i + 1) % 2]!, 'GET', `/api/orders/${id}`)).body
              .status,
        ),
      );
      return statuses.every((s) => s === 'CONFIRMED') ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
  const ledger = await ledgerByOrder(stack.redis, orderIds);
  expect(orderIds.map((id) => (ledger.get(id) ?? []).map((e) => e.captures))).toEqual(
    orderIds.map(() => [1]),
  );

  const reports = await Promise.all(
    orderIds.map((orderId, i) =>
      callApi(API_PORTS[i % 2]!, 'POST', '/api/carrier/events', {
        orderId,
        status: 'SHIPPED',
        carrier: 'dhl',
        eventId: randomUUID(),
      }),
    ),
  );
  expect(reports.map((r) => r.status)).toEqual(Array(ORDERS).fill(201));
  const shipmentEvents = (
    await Promise.all(orderIds.map((id) => ordersOutbox(stack.ordersDb, id, 'ORDER_SHIPMENT_EVENT')))
  ).flat();
  expect(shipmentEvents).toHaveLength(ORDERS);
  await waitFor(
    'every carrier report to be processed',
    async () =>
      (
        await processedRows(
          stack.ordersDb,
          WORKFLOW_SIGNALS_CONSUMER,
          shipmentEvents.map((e) => e.id),
        )
      ).length === ORDERS
        ? true
        : undefined,
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
  const signals = await Promise.all(
    orderIds.map(
      async (id) => (await signalsOf(stack.temporal, orderWorkflowId(id), 'advanceStatus')).length,
    ),
  );
  expect(signals).toEqual(orderIds.map(() => 1));

  // Both workers took part: the sagas' workflow tasks were completed by two identities.
  const identities = new Set<string>();
  for (const id of orderIds) {
    const history = await stack.temporal.workflow.getHandle(orderWorkflowId(id)).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.workflowTaskCompletedEventAttributes?.identity;
      if (identity) identities.add(identity);
    }
  }
  expect(identities.size).toBe(2);
});

it('stops the extra instances when scaled back to one', async () => {
  await scaleTo(1);
  const statuses = await stackStatus();
  for (const name of ['api', 'worker', 'consumers']) {
    const status = statuses.find((s) => s.name === name);
    expect(status).toMatchObject({ healthy: true });
    expect(status?.instances).toBeUndefined();
  }
  await expect(fetch(`http://127.0.0.1:${API_PORTS[1]}/health`)).rejects.toThrow();
  for (const group of GROUPS) {
    await waitFor(
      `${group} to be back to one member`,
      async () => ((await membersOf(group)) === 1 ? true : undefined),
      {
        timeoutMs: 90_000,
        intervalMs: 1000,
      },
    );
  }
});
