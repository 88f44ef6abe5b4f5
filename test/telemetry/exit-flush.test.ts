/**
 * A process that stops gracefully exports its last spans: the API, started as the stack starts it
 * but with a batch delay far longer than the test (so nothing is exported on the timer), answers a
 * traced request and is sent SIGTERM; its drain ends in process.exit, which skips `beforeExit`, so
 * the spans reach Zipkin only if the shutdown flushes them (lib/telemetry/runtime.ts).
 */
import { randomBytes } from 'node:crypto';
import { traceById } from '../../lib/telemetry/zipkin-traces';
import { authHeader } from '../support/auth';
import { signalGroup, startNodeProcess, type NodeProcess } from '../support/child-process';
import { testRunId } from '../support/db';
import { waitFor } from '../support/orders-e2e';

jest.setTimeout(120_000);

const RUN = testRunId('exitflush');
let api: NodeProcess | undefined;

afterAll(() => {
  if (api) signalGroup(api, 'SIGKILL');
});

it('exports the spans still batched when the API stops on SIGTERM', async () => {
  api = await startNodeProcess({
    entry: 'api/main.ts',
    label: 'exit-flush-api',
    metricsPortVariable: 'API_PORT',
    env: { OTEL_BSP_SCHEDULE_DELAY: '600000', LOG_LEVEL: 'warn' },
    readyTimeoutMs: 120_000,
  });
  const traceId = randomBytes(16).toString('hex');
  const response = await fetch(`http://127.0.0.1:${api.metricsPort}/api/inventory/items/${RUN}-none`, {
    headers: { ...authHeader('operator'), traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
  });
  expect(response.status).toBe(404);

  signalGroup(api, 'SIGTERM');
  expect(await api.exited).toEqual({ code: 0, signal: null });

  const spans = await waitFor(
    'the request’s spans in Zipkin',
    async () => {
      const found = await traceById(traceId);
      return found.some((span) => span.kind === 'SERVER') ? found : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 1000 },
  );
  expect(spans.every((span) => span.localEndpoint?.serviceName === 'trackops-api')).toBe(true);
});
