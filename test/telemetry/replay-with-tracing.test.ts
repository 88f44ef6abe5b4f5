/**
 * The worker runs the saga with Temporal's OTel workflow interceptors bundled in. Replaying every
 * recorded history with them (as `trackops replay` and the worker do) must stay deterministic, and
 * a replay must export no span: the sandbox hands spans out only through the sink, which Temporal
 * does not call while replaying.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { currentWorkflowBundle, readHistoryFile } from '../../lib/replay';
import { tracingWorkflowSinks } from '../../lib/telemetry/temporal-tracing';

jest.setTimeout(180_000);

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(DIR).filter((file) => file.endsWith('.json'));

const exported: ReadableSpan[] = [];
const recording: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (span) => void exported.push(span),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
});

test('the bundle the replay uses contains the tracing workflow interceptors', async () => {
  const { code } = await currentWorkflowBundle();
  expect(code).toContain('OpenTelemetryInboundInterceptor');
});

test.each(files)(
  '%s replays deterministically with the tracing interceptors, exporting nothing',
  async (file) => {
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: await currentWorkflowBundle(), sinks: tracingWorkflowSinks(recording) },
        readHistoryFile(path.join(DIR, file)),
        `replay-${file}`,
      ),
    ).resolves.toBeUndefined();
    expect(exported).toEqual([]);
  },
);
