import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { TimeoutFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { closedLoop, rateOf, riseUntilFlat } from '../load/closed-loop';
import { summarize, type LatencySummary } from '../stats';
import { ceilingActivities } from './activities';
import { CEILING_ACTIVITY_OPTIONS, CEILING_STEPS } from './retry-options';
import type { ceilingWorkflow } from './workflow';

export interface CeilingOptions {
  temporalAddress: string;
  namespace: string;
  /** Unique per bench run: the task queue and the workflow ids hang off it. */
  runId: string;
  concurrencies: readonly number[];
  levelMs: number;
  maxWorkflowsPerLevel: number;
  /** A workflow not finished in this time is a timeout (the server enforces it). */
  workflowTimeoutMs: number;
  minGain: number;
  log: (line: string) => void;
}

type CeilingOutcome = 'completed' | 'timeout' | 'failed';

export interface CeilingLevel {
  concurrency: number;
  perSecond: number;
  started: number;
  completed: number;
  timeouts: number;
  failed: number;
  latencyMs: LatencySummary;
}

export interface CeilingResult {
  taskQueue: string;
  activitiesPerWorkflow: number;
  activityOptions: typeof CEILING_ACTIVITY_OPTIONS;
  workerReadyMs: number;
  levels: CeilingLevel[];
  saturation: { concurrency: number; workflowsPerSecond: number };
}

let runtimeInstalled = false;

/** The Temporal core logs at INFO by default (bundling, worker state): too loud for a report. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

async function runOne(client: Client, taskQueue: string, workflowId: string, timeoutMs: number) {
  try {
    const handle = await client.workflow.start<typeof ceilingWorkflow>('ceilingWorkflow', {
      taskQueue,
      workflowId,
      workflowExecutionTimeout: timeoutMs,
    });
    return (await handle.result()) === CEILING_STEPS ? 'completed' : 'failed';
  } catch (error) {
    if (error instanceof WorkflowFailedError && error.cause instanceof TimeoutFailure) return 'timeout';
    return 'failed';
  }
}

/**
 * The ceiling: the reference workflow at rising concurrency, closed loop (each client starts a
 * workflow and waits for its result), on its own worker in this process, until throughput is flat.
 */
export async function runCeiling(options: CeilingOptions): Promise<CeilingResult> {
  quietRuntime();
  const taskQueue = `bench-ceiling-${options.runId}`;
  const workerStart = performance.now();
  const nativeConnection = await NativeConnection.connect({ address: options.temporalAddress });
  const connection = await Connection.connect({ address: options.temporalAddress });
  const client = new Client({ connection, namespace: options.namespace });
  try {
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: options.namespace,
      taskQueue,
      workflowsPath: require.resolve('./workflow'),
      activities: ceilingActivities,
    });
    const workerReadyMs = Math.round(performance.now() - workerStart);
    options.log(`ceiling: worker on ${taskQueue} ready in ${(workerReadyMs / 1000).toFixed(1)} s`);
    let next = 0;
    const rising = await worker.runUntil(
      riseUntilFlat(
        options.concurrencies,
        options.minGain,
        async (concurrency): Promise<CeilingLevel> => {
          const run = await closedLoop<CeilingOutcome>({
            concurrency,
            durationMs: options.levelMs,
            maxCount: options.maxWorkflowsPerLevel,
            task: () => runOne(client, taskQueue, `${taskQueue}-${(next += 1)}`, options.workflowTimeoutMs),
          });
          const count = (outcome: CeilingOutcome) => run.runs.filter((r) => r.result === outcome).length;
          return {
            concurrency,
            perSecond: rateOf(run, (outcome) => outcome === 'completed'),
            started: run.runs.length,
            completed: count('completed'),
            timeouts: count('timeout'),
            failed: count('failed'),
            latencyMs: summarize(
              run.runs.filter((r) => r.result === 'completed').map((r) => r.endedMs - r.startedMs),
            ),
          };
        },
        options.log,
      ),
    );
    return {
      taskQueue,
      activitiesPerWorkflow: CEILING_STEPS,
      activityOptions: CEILING_ACTIVITY_OPTIONS,
      workerReadyMs,
      levels: rising.levels,
      saturation: { concurrency: rising.best.concurrency, workflowsPerSecond: rising.best.perSecond },
    };
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}
