/**
 * The stack's Prometheus (component `prometheus`) scrapes every app process, runs each query of
 * the Grafana dashboard, and sees a new order's saga counted within a few scrapes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stackPorts } from '../../deploy/stack/ports';
import { testRunId } from '../support/db';
import {
  closeStackClients,
  createProduct,
  createStackClients,
  http,
  testAddress,
  waitFor,
} from '../support/orders-e2e';

jest.setTimeout(120_000);

const RUN = testRunId('prometheus');
const stack = createStackClients(2);
const PROMETHEUS = `http://127.0.0.1:${stackPorts().PROMETHEUS_PORT}`;

afterAll(() => closeStackClients(stack, RUN));

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function prometheus<T>(pathAndQuery: string): Promise<T> {
  const response = await fetch(`${PROMETHEUS}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${body.error ?? response.status}`);
  return body.data;
}

const instant = (query: string) =>
  prometheus<{ resultType: string; result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(query)}`);

it('scrapes the api, the worker and the consumers, each up', async () => {
  const targets = await waitFor(
    'every target scraped and up',
    async () => {
      const data = await prometheus<{ activeTargets: { labels: { job: string }; health: string }[] }>(
        '/api/v1/targets?state=active',
      );
      const up = data.activeTargets.filter((target) => target.health === 'up');
      return up.length === data.activeTargets.length && up.length >= 3 ? data.activeTargets : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  expect([...new Set(targets.map((target) => target.labels.job))].sort()).toEqual([
    'trackops-api',
    'trackops-consumers',
    'trackops-worker',
  ]);
});

it('runs every query of the Grafana dashboard (valid PromQL for this Prometheus)', async () => {
  const dashboard = JSON.parse(
    fs.readFileSync(
      path.join(__dirname, '..', '..', 'deploy', 'grafana', 'dashboards', 'trackops.json'),
      'utf8',
    ),
  ) as { panels: { title: string; targets: { expr: string }[] }[] };
  const queries = dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => ({
      panel: panel.title,
      expr: target.expr.replaceAll('$__rate_interval', '1m'),
    })),
  );
  expect(queries.length).toBeGreaterThan(10);
  for (const { panel, expr } of queries) {
    await expect(instant(expr).then(() => panel)).resolves.toBe(panel);
  }
});

it("counts a new order's saga within a few scrapes", async () => {
  const confirmed = async () =>
    Number((await instant('sum(trackops_saga_confirmed_total)')).result[0]?.value[1] ?? '0');
  const before = await confirmed();
  const productId = `${RUN}-item`;
  await createProduct(productId, 5, '3.00');
  const placed = await http<{ id: string }>(
    'POST',
    '/api/orders',
    { customerId: `${RUN}-c`, items: [{ productId, quantity: 1 }], address: testAddress() },
    { 'Idempotency-Key': `${RUN}-order` },
  );
  expect(placed.status).toBe(201);
  await waitFor(
    'the confirmation counted in Prometheus',
    async () => ((await confirmed()) >= before + 1 ? true : undefined),
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
});
