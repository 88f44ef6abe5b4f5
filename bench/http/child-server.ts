import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sleep } from '../load/timed';

const repoRoot = path.resolve(__dirname, '..', '..');

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface ChildServer {
  url: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface ChildServerOptions {
  /** TypeScript entry point, from the repository root. */
  entry: string;
  label: string;
  port: number;
  env: NodeJS.ProcessEnv;
  /** Answers 200 once the server is up. */
  healthPath: string;
  readyTimeoutMs: number;
}

/** The error lines of a crashed server's log (a stack trace's frames say little), else its last lines. */
function whyExited(logFile: string): string {
  const lines = fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .map((line) => line.trim());
  const errors = lines.filter((line) => /error/i.test(line) && !line.startsWith('at '));
  return (errors.length > 0 ? errors.slice(0, 3) : lines.slice(-5)).join(' | ').slice(0, 600);
}

const exitedOf = (child: ChildProcess) =>
  new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));

/** Starts `node --import tsx <entry>` as a child, output to a log file, and waits for its health. */
export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const logFile = path.join(
    os.tmpdir(),
    `trackops-bench-${options.label}-${process.pid}-${options.port}.log`,
  );
  const log = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, options.entry)], {
    cwd: repoRoot,
    env: options.env,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`${options.entry} did not start`);
  const pid = child.pid;
  let exited: string | undefined;
  const exitedPromise = exitedOf(child).then((how) => (exited = how));
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exitedPromise;
    clearTimeout(killer);
    fs.rmSync(logFile, { force: true });
  };
  const deadline = performance.now() + options.readyTimeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`${options.entry} exited (${exited}) before it was ready: ${whyExited(logFile)}`);
    }
    const ok = await fetch(`${url}${options.healthPath}`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, pid, logFile, stop };
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`${options.entry} not ready within ${options.readyTimeoutMs} ms (log ${logFile})`);
    }
    await sleep(200);
  }
}
