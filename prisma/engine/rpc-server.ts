import fs from 'node:fs';
import readline from 'node:readline';

/** A file to append every message in and out to, for debugging the protocol. */
const traceFile = process.env.SCHEMA_ENGINE_BRIDGE_TRACE;

function trace(direction: '<-' | '->', line: string): void {
  if (traceFile) fs.appendFileSync(traceFile, `${new Date().toISOString()} ${direction} ${line}\n`);
}

interface RpcRequest {
  jsonrpc?: string;
  id?: number | string;
  method?: string;
  params?: unknown;
}

/** Thrown by a handler for a method this engine does not have: JSON-RPC's own code for it. */
export class MethodNotFound extends Error {}

export type RpcHandler = (method: string, params: unknown) => Promise<unknown>;

/**
 * The native engine's protocol, one JSON-RPC message per line: requests from the CLI on stdin,
 * responses on stdout. The CLI sends one request at a time and closes stdin when done.
 *
 * Every request gets an answer, and the process never exits while the CLI may still be waiting:
 * Prisma 7.10's CLI, when its engine exits before answering, waits for an exit event that has
 * already fired on an unref'd timer, and so quits with status 0 without reporting anything.
 * An error therefore travels as a JSON-RPC error response, which the CLI turns into exit 1.
 */
export class RpcServer {
  private queue: Promise<void> = Promise.resolve();
  private printId = 1_000_000;
  private failCurrent: ((error: unknown) => void) | undefined;
  /** Set once an exception escaped the engine: its wasm state can no longer be trusted. */
  private brokenBy: Error | undefined;

  constructor(private readonly handle: RpcHandler) {}

  /** Resolves once stdin has closed and every request read so far has been answered. */
  serve(): Promise<void> {
    return new Promise((resolve) => {
      const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        this.queue = this.queue.then(() => this.dispatch(line));
      });
      lines.on('close', () => {
        void this.queue.then(resolve);
      });
    });
  }

  get failed(): boolean {
    return this.brokenBy !== undefined;
  }

  /**
   * For exceptions thrown outside any promise chain, such as a wasm trap after an engine panic
   * inside a callback: the request in flight fails with it, and so does every later one.
   */
  crash(error: unknown): void {
    this.brokenBy ??= error instanceof Error ? error : new Error(String(error));
    this.failCurrent?.(error);
  }

  /**
   * Output the CLI must show (what `migrate diff` prints): the native engine sends it as a `print`
   * request, which the CLI writes to its stdout and acknowledges on our stdin.
   */
  print(content: string): void {
    this.write({ jsonrpc: '2.0', id: this.printId++, method: 'print', params: { content } });
  }

  private async dispatch(line: string): Promise<void> {
    trace('<-', line);
    let request: RpcRequest;
    try {
      request = JSON.parse(line) as RpcRequest;
    } catch {
      this.write({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    // Lines without a method are the CLI's acknowledgements of our print requests.
    if (typeof request.method !== 'string') return;
    const id = request.id ?? null;
    try {
      const result = await this.run(request.method, request.params);
      this.write({ jsonrpc: '2.0', id, result: result ?? null });
    } catch (error) {
      this.write({ jsonrpc: '2.0', id, error: toRpcError(error) });
    }
  }

  private run(method: string, params: unknown): Promise<unknown> {
    if (this.brokenBy) {
      return Promise.reject(new Error(`The schema engine failed earlier: ${this.brokenBy.message}`));
    }
    return new Promise((resolve, reject) => {
      this.failCurrent = reject;
      this.handle(method, params).then(resolve, reject);
    }).finally(() => {
      this.failCurrent = undefined;
    });
  }

  private write(message: object): void {
    const line = JSON.stringify(message);
    trace('->', line);
    process.stdout.write(`${line}\n`);
  }
}

/**
 * The wasm engine's errors carry a span trace after the message ("   0: sql_schema_connector::...");
 * the user needs the message, which the CLI takes from `data.message`.
 */
function toRpcError(error: unknown): object {
  if (error instanceof MethodNotFound) return { code: -32601, message: error.message };
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.split(/\n\s+0: /)[0]?.trimEnd() || raw;
  const errorCode = (error as { errorCode?: unknown } | null)?.errorCode;
  return {
    code: 4466,
    message: 'An error happened. Check the data field for details.',
    data: {
      is_panic: false,
      message,
      meta: {},
      ...(typeof errorCode === 'string' ? { error_code: errorCode } : {}),
    },
  };
}
