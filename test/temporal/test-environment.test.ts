import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleTestWorkflows, createLocalEnv, createTimeSkippingEnv } from '../support/temporal-env';
import { fixtureActivities } from './fixtures/activities';
import { greetViaActivity, sleepOneDay } from './fixtures/workflows';

const ONE_DAY_MS = 24 * 60 * 60 * 1000;

// Bundling takes seconds; both environments share one bundle instead of each worker making its own.
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleTestWorkflows(path.join(__dirname, 'fixtures', 'workflows.ts'));
}, 120_000);

async function withWorker<T>(
  env: TestWorkflowEnvironment,
  run: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `test-env-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: bundle,
    activities: fixtureActivities,
  });
  return await worker.runUntil(run(taskQueue));
}

describe('time-skipping test environment from the installed test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  }, 60_000);
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that sleeps a day in far less than a day', async () => {
    const startedAt = Date.now();
    const workflowTimeMs = await withWorker(env, (taskQueue) =>
      env.client.workflow.execute(sleepOneDay, { taskQueue, workflowId: `sleep-${randomUUID()}` }),
    );
    const wallMs = Date.now() - startedAt;
    expect(workflowTimeMs).toBeGreaterThanOrEqual(ONE_DAY_MS);
    expect(wallMs).toBeLessThan(30_000);
  });
});

describe('local dev-server environment from the installed Temporal CLI', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createLocalEnv();
  }, 60_000);
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that calls an activity', async () => {
    const result = await withWorker(env, (taskQueue) =>
      env.client.workflow.execute(greetViaActivity, {
        taskQueue,
        workflowId: `greet-${randomUUID()}`,
        args: ['TrackOps'],
      }),
    );
    expect(result).toBe('hello, TrackOps');
  });
});
