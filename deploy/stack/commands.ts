import { spawn } from 'node:child_process';
import net from 'node:net';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  uid?: number;
  gid?: number;
  /** Called with each line of output, for long installs that should show progress. */
  onLine?: (line: string) => void;
}

/** Runs a command to completion and captures its output; never throws for a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      uid: options.uid,
      gid: options.gid,
    });
    let stdout = '';
    let stderr = '';
    const forward = (chunk: Buffer) => {
      if (!options.onLine) return;
      for (const line of chunk.toString().split('\n')) if (line.trim()) options.onLine(line);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      forward(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      forward(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (child.stdin) {
      // A command that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

/** Like runCommand, but a non-zero exit is an error that carries the command's output. */
export async function mustRun(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${output}`);
  }
  return result.stdout;
}

export async function commandExists(command: string): Promise<boolean> {
  const result = await runCommand('sh', ['-c', `command -v ${command}`]);
  return result.code === 0;
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when `url` answers a 2xx within the timeout (a health or readiness endpoint). */
export async function httpOk(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
