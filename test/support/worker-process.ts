/**
 * Runs the real saga worker (`node --import tsx worker/main.ts`) as a child process of a test, on a
 * task queue of the test's own, so the test can kill it like a crash would and start another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sleep } from './orders-e2e';
import { stackConfig } from './stack-env';

const repoRoot = path.resolve(__dirname, '..', '..');

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  metricsPort: number;
  logFile: string;
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<string>;
}

export interface WorkerOptions {
  taskQueue: string;
  /** Extra environment, e.g. PAYMENT_LATENCY_MS. */
  env?: Record<string, string>;
  label: string;
}

const logTail = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
};

/**
 * Starts a worker in its own process group (so the whole group can be killed) and waits until its
 * /health answers 200, i.e. it is polling its task queue.
 */
export async function startWorkerProcess(options: WorkerOptions, readyTimeoutMs = 120_000) {
  const metricsPort = await freePort();
  const logFile = path.join(os.tmpdir(), `trackops-${options.label}-${process.pid}-${metricsPort}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker', 'main.ts')], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      ORDERS_DATABASE_URL: stackConfig.ORDERS_DATABASE_URL,
      INVENTORY_DATABASE_URL: stackConfig.INVENTORY_DATABASE_URL,
      REDIS_URL: stackConfig.REDIS_URL,
      TEMPORAL_ADDRESS: stackConfig.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: stackConfig.TEMPORAL_NAMESPACE,
      DATABASE_POOL_SIZE: '5',
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      WORKER_METRICS_PORT: String(metricsPort),
      ...options.env,
    },
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error('worker process did not start');
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`));
  });
  let exitedEarly: string | undefined;
  void exited.then((how) => {
    exitedEarly = how;
  });
  const worker: WorkerProcess = { child, pid: child.pid, metricsPort, logFile, exited };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitedEarly !== undefined) {
      throw new Error(`worker exited (${exitedEarly}) before becoming ready:\n${logTail(logFile)}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/health`, {
        signal: AbortSignal.timeout(1000),
      });
      if (response.ok) return worker;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killWorkerGroup(worker, 'SIGKILL');
      throw new Error(`worker not ready after ${readyTimeoutMs} ms:\n${logTail(logFile)}`);
    }
    await sleep(250);
  }
}

/** Signals the worker's whole process group; a group that is already gone is fine. */
export function killWorkerGroup(worker: WorkerProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-worker.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Stops a worker: SIGTERM (graceful), then SIGKILL if it is still there after `graceMs`. */
export async function stopWorkerProcess(worker: WorkerProcess, graceMs = 10_000): Promise<string> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return worker.exited;
  killWorkerGroup(worker, 'SIGTERM');
  const timer = setTimeout(() => killWorkerGroup(worker, 'SIGKILL'), graceMs);
  try {
    return await worker.exited;
  } finally {
    clearTimeout(timer);
  }
}
