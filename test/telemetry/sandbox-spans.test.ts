/**
 * The sandbox tracer (lib/telemetry/sandbox-spans.ts) on a real worker: a workflow's spans join the
 * caller's trace, an activity runs under the span that scheduled it, an unsampled caller's decision
 * is followed (nothing exported, the context still carried), and a run without a caller is a root.
 */
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { WorkflowClient } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { TRACING_WORKFLOW_MODULES, tracingWorkflowSinks } from '../../lib/telemetry/temporal-tracing';
import { TRACE_HEADER } from '../../lib/telemetry/sandbox-spans';
import { createTimeSkippingEnv } from '../support/temporal-env';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const exported: ReadableSpan[] = [];
const activityTraceparents: (string | undefined)[] = [];

const recording: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (span) => void exported.push(span),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/traced-probe-workflow'),
      workflowInterceptorModules: [...TRACING_WORKFLOW_MODULES],
      logger: new DefaultLogger('ERROR'),
    }),
  ]);
});

afterAll(async () => {
  await env?.teardown();
});

const traceparentOf = (headers: Record<string, unknown>) => {
  const payload = headers[TRACE_HEADER];
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload<{ traceparent?: string }>(payload)?.traceparent;
};

/** Runs tracedProbe to its end, started with `traceparent` in its headers (or none). */
async function runProbe(traceparent: string | undefined) {
  exported.length = 0;
  activityTraceparents.length = 0;
  const taskQueue = `sandbox-spans-${Math.random().toString(36).slice(2)}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    sinks: tracingWorkflowSinks(recording),
    activities: { probe: async () => undefined },
    interceptors: {
      activity: [
        () => ({
          inbound: {
            execute: (input, next) => {
              activityTraceparents.push(traceparentOf(input.headers));
              return next(input);
            },
          },
        }),
      ],
    },
  });
  const headers: Record<string, Payload> = traceparent
    ? { [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent }) }
    : {};
  // The caller's context goes in the start's headers, as the API's client interceptor puts it there.
  const client = new WorkflowClient({
    connection: env.connection,
    interceptors: [{ start: (input, next) => next({ ...input, headers: { ...input.headers, ...headers } }) }],
  });
  await worker.runUntil(async () => {
    const handle = await client.start('tracedProbe', {
      taskQueue,
      workflowId: `probe-${Math.random().toString(36).slice(2)}`,
    });
    await handle.result();
  });
  return { spans: [...exported], activity: activityTraceparents[0] };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

test("a sampled caller: the run's spans join its trace, and the activity runs under the span that scheduled it", async () => {
  const { spans, activity } = await runProbe(`00-${TRACE_ID}-${CALLER_SPAN}-01`);
  const run = spans.find((span) => span.name === 'RunWorkflow:tracedProbe');
  const start = spans.find((span) => span.name === 'StartActivity:probe');
  expect(run?.spanContext().traceId).toBe(TRACE_ID);
  expect(run?.parentSpanContext?.spanId).toBe(CALLER_SPAN);
  expect(start?.spanContext().traceId).toBe(TRACE_ID);
  expect(start?.parentSpanContext?.spanId).toBe(run?.spanContext().spanId);
  expect(activity).toBe(`00-${TRACE_ID}-${start?.spanContext().spanId}-01`);
  expect(run?.attributes.temporalWorkflowType).toBe('tracedProbe');
  expect(run?.status.code).toBe(1);
});

test("an unsampled caller: nothing is exported, and the activity still carries the caller's trace, unsampled", async () => {
  const { spans, activity } = await runProbe(`00-${TRACE_ID}-${CALLER_SPAN}-00`);
  expect(spans).toEqual([]);
  expect(activity).toMatch(new RegExp(`^00-${TRACE_ID}-[\\da-f]{16}-00$`));
  expect(activity).not.toContain(CALLER_SPAN);
});

test('no caller: the run is the root of a trace of its own, and a malformed context counts as none', async () => {
  for (const traceparent of [undefined, 'not-a-traceparent']) {
    const { spans, activity } = await runProbe(traceparent);
    const run = spans.find((span) => span.name === 'RunWorkflow:tracedProbe');
    expect(run).toBeDefined();
    expect(run?.parentSpanContext).toBeUndefined();
    expect(run?.spanContext().traceId).toMatch(/^[\da-f]{32}$/);
    expect(activity?.split('-')[1]).toBe(run?.spanContext().traceId);
  }
});
