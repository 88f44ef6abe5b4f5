/**
 * Runs one of the repo's processes (`node --require <OTel preload> --import tsx <entry>`, e.g. the saga worker or the
 * consumers process) as a child of a test: connected to the running stack, in a process group of
 * its own (so a test can kill the whole group like a crash would), its output in a log file and its
 * metrics server on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tailFile } from '../../deploy/stack/processes';
import { APP_PRELOAD_FLAGS } from '../../lib/telemetry/preload-flags';
import { sleep } from './orders-e2e';
import { stackConfig } from './stack-env';

const repoRoot = path.resolve(__dirname, '..', '..');

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
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

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  metricsPort: number;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface NodeProcessOptions {
  /** The entry point, from the repo root, e.g. `worker/main.ts`. */
  entry: string;
  /** Names the log file. */
  label: string;
  /** The variable the process reads its metrics port from, e.g. `WORKER_METRICS_PORT`. */
  metricsPortVariable: string;
  /** Set after the stack's connection settings and the metrics port. */
  env: Record<string, string>;
  readyTimeoutMs: number;
  /** Node's arguments instead of the preload and the TypeScript entry (e.g. a compiled build's). */
  nodeArgs?: string[];
  /** The working directory, the repo root unless set. */
  cwd?: string;
}

/** Starts the process and waits until its /health answers 200. */
export async function startNodeProcess(options: NodeProcessOptions): Promise<NodeProcess> {
  const metricsPort = await freePort();
  const logFile = path.join(os.tmpdir(), `trackops-${options.label}-${process.pid}-${metricsPort}.log`);
  const log = fs.openSync(logFile, 'w');
  // Started as the stack starts them, OTel preload included (lib/telemetry/preload-flags.ts).
  const nodeArgs = options.nodeArgs ?? [...APP_PRELOAD_FLAGS, path.join(repoRoot, options.entry)];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: options.cwd ?? repoRoot,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      NODE_ENV: 'test',
      ORDERS_DATABASE_URL: stackConfig.ORDERS_DATABASE_URL,
      INVENTORY_DATABASE_URL: stackConfig.INVENTORY_DATABASE_URL,
      REDIS_URL: stackConfig.REDIS_URL,
      TEMPORAL_ADDRESS: stackConfig.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: stackConfig.TEMPORAL_NAMESPACE,
      [options.metricsPortVariable]: String(metricsPort),
      // A worker's Temporal SDK metrics endpoint: another free port, so test workers never collide.
      TEMPORAL_SDK_METRICS_PORT: String(await freePort()),
      ...options.env,
    },
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`${options.entry} did not start`);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exitedEarly: string | undefined;
  void exited.then(({ code, signal }) => {
    exitedEarly = signal ?? `exit ${code}`;
  });
  const proc: NodeProcess = { child, pid: child.pid, metricsPort, logFile, exited };

  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    if (exitedEarly !== undefined) {
      throw new Error(
        `${options.entry} exited (${exitedEarly}) before becoming ready:\n${tailFile(logFile)}`,
      );
    }
    try {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/health`, {
        signal: AbortSignal.timeout(1000),
      });
      if (response.ok) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      signalGroup(proc, 'SIGKILL');
      throw new Error(`${options.entry} not ready after ${options.readyTimeoutMs} ms:\n${tailFile(logFile)}`);
    }
    await sleep(250);
  }
}

/** Signals the process's whole group; a group that is already gone is fine. */
export function signalGroup(proc: { pid: number }, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function readLog(proc: { logFile: string }): string {
  return fs.readFileSync(proc.logFile, 'utf8');
}
