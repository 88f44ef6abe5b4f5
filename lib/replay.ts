import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { History } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TRACING_WORKFLOW_MODULES, tracingWorkflowSinks } from './telemetry/temporal-tracing';

const WORKFLOWS_PATH = path.resolve(__dirname, '..', 'workflows');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The current workflow code, bundled once per process (bundling takes seconds; replays take ms). */
export function currentWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  // With the tracing interceptors the worker runs (worker/main.ts): a replay checks that code.
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [...TRACING_WORKFLOW_MODULES],
    logger: quietBundlerLogger,
  });
  return bundle;
}

const noop = () => undefined;
const quietBundlerLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: console.error,
};

export type ReplayOutcome = { deterministic: true } | { deterministic: false; error: Error };

/**
 * Replays a recorded history (a History object, or the JSON that `temporal workflow show --output
 * json` prints) against the current workflow code. A change that would make running sagas take a
 * different path shows up here as a determinism error.
 */
export async function replayHistory(
  history: unknown,
  workflowId = 'replayed-workflow',
): Promise<ReplayOutcome> {
  try {
    await Worker.runReplayHistory(
      { workflowBundle: await currentWorkflowBundle(), sinks: tracingWorkflowSinks() },
      history,
      workflowId,
    );
    return { deterministic: true };
  } catch (error) {
    return { deterministic: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** Reads the JSON history format of `temporal workflow show --output json` and the Web UI's download. */
export function readHistoryFile(file: string): History {
  return historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
}
