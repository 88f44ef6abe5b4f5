/**
 * Runs the real saga worker (`node --import tsx worker/main.ts`) as a child process of a test, on a
 * task queue of the test's own, so the test can kill it like a crash would and start another.
 */
import { signalGroup, startNodeProcess, type NodeProcess } from './child-process';

export interface WorkerProcess extends Omit<NodeProcess, 'exited'> {
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<string>;
}

export interface WorkerOptions {
  taskQueue: string;
  /** Extra environment, e.g. PAYMENT_LATENCY_MS. */
  env?: Record<string, string>;
  label: string;
}

/** Starts a worker and waits until its /health answers 200, i.e. it is polling its task queue. */
export async function startWorkerProcess(
  options: WorkerOptions,
  readyTimeoutMs = 120_000,
): Promise<WorkerProcess> {
  const proc = await startNodeProcess({
    entry: 'worker/main.ts',
    label: options.label,
    metricsPortVariable: 'WORKER_METRICS_PORT',
    env: {
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: '5',
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      ...options.env,
    },
    readyTimeoutMs,
  });
  return { ...proc, exited: proc.exited.then(({ code, signal }) => signal ?? `exit ${code}`) };
}

/** Stops a worker: SIGTERM (graceful), then SIGKILL if it is still there after `graceMs`. */
export async function stopWorkerProcess(worker: WorkerProcess, graceMs = 10_000): Promise<string> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return worker.exited;
  signalGroup(worker, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(worker, 'SIGKILL'), graceMs);
  try {
    return await worker.exited;
  } finally {
    clearTimeout(timer);
  }
}
