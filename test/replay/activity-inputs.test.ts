/**
 * A replay must recompute exactly the inputs a run gave its activities, not only their order:
 * after a worker restart the saga continues from the replayed state, and the payment idempotency
 * key it then refunds or captures with comes from the workflow's random sequence. Tracing in the
 * sandbox shares that sequence in runs recorded before the sandbox tracer (sandbox-spans.ts), so
 * a change to how many span ids those runs draw would hand their captures a different key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type InjectedSinks } from '@temporalio/worker';
import { TRACING_WORKFLOW_MODULES, tracingWorkflowSinks } from '../../lib/telemetry/temporal-tracing';
import type { ScheduledInputsSinks } from './fixtures/scheduled-inputs-interceptor';

jest.setTimeout(180_000);

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(DIR).filter((file) => file.endsWith('.json'));

interface RecordedEvent {
  activityTaskScheduledEventAttributes?: {
    activityType: { name: string };
    input?: { payloads?: { data?: string }[] };
  };
}

/** The queued activities a history scheduled, in order, with their JSON arguments decoded. */
function recordedSchedules(file: string): { activityType: string; args: unknown[] }[] {
  const { events } = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as { events: RecordedEvent[] };
  return events.flatMap(({ activityTaskScheduledEventAttributes: scheduled }) =>
    scheduled
      ? [
          {
            activityType: scheduled.activityType.name,
            args: (scheduled.input?.payloads ?? []).map(
              (payload) => JSON.parse(Buffer.from(payload.data ?? '', 'base64').toString('utf8')) as unknown,
            ),
          },
        ]
      : [],
  );
}

const bundle = bundleWorkflowCode({
  workflowsPath: path.resolve(__dirname, '..', '..', 'workflows'),
  workflowInterceptorModules: [
    ...TRACING_WORKFLOW_MODULES,
    require.resolve('./fixtures/scheduled-inputs-interceptor'),
  ],
  logger: new DefaultLogger('ERROR'),
});

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
});

test('every recorded history schedules at least one queued activity with a payment key to compare', () => {
  const withKey = files.filter((file) =>
    recordedSchedules(file).some(({ args }) => JSON.stringify(args).includes('idempotencyKey')),
  );
  expect(withKey.length).toBeGreaterThanOrEqual(files.length - 10);
});

test.each(files)('%s: a replay schedules the recorded activities with the recorded inputs', async (file) => {
  const replayed: { activityType: string; args: unknown[] }[] = [];
  const sinks: InjectedSinks<ScheduledInputsSinks> = {
    scheduledInputs: {
      scheduled: {
        // As the history holds them: JSON, where an undefined field is absent.
        fn: (_info, activityType, args) =>
          void replayed.push({ activityType, args: JSON.parse(JSON.stringify(args)) as unknown[] }),
        callDuringReplay: true,
      },
    },
  };
  await Worker.runReplayHistory(
    { workflowBundle: await bundle, sinks: { ...tracingWorkflowSinks(), ...sinks } },
    historyFromJSON(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'))),
    `inputs-${file}`,
  );
  expect(replayed).toEqual(recordedSchedules(file));
});
