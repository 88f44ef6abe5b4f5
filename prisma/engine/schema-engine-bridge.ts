/**
 * A stand-in for Prisma's native schema engine binary, which this machine cannot download: the
 * same command line and stdin/stdout JSON-RPC protocol, answered by @prisma/schema-engine-wasm
 * over @prisma/adapter-pg. Started by the Prisma CLI through PRISMA_SCHEMA_ENGINE_BINARY (via the
 * `schema-engine` shim next to this file). Every failure ends in a JSON-RPC error the CLI reports
 * (exit 1) or, for one-shot commands, in a non-zero exit: a migration command can never pass
 * without having done its work.
 */
import { parseInvocation, type Invocation } from './args';
import { sessionHandler } from './engine-session';
import { errorFields, logLine } from './errors';
import { runOneShot } from './one-shot';
import { RpcServer, type RpcHandler } from './rpc-server';
import { engineVersionLine, takePanicMessage } from './wasm-engine';

/** The trap after an engine panic says only "unreachable"; the panic message says what happened. */
function explain(error: unknown): Error {
  const panic = takePanicMessage();
  if (panic !== undefined) return new Error(`The schema engine panicked: ${panic}`);
  return error instanceof Error ? error : new Error(String(error));
}

function exitWithError(error: unknown): never {
  const { message, errorCode } = errorFields(explain(error));
  // The CLI skips the first stderr line of a `cli ...` command and parses the rest as JSON logs.
  process.stderr.write(
    `${logLine('INFO', 'schema engine bridge failed')}\n${logLine('ERROR', message, errorCode)}\n`,
  );
  process.exit(1);
}

/**
 * Whatever goes wrong while the CLI talks JSON-RPC, bad arguments included, becomes the answer
 * to its requests; exiting instead would let the CLI report success (see rpc-server.ts).
 */
async function serveRpc(session: Extract<Invocation, { kind: 'rpc' }> | Error): Promise<never> {
  const live: RpcServer = new RpcServer((method, params) => handler(method, params));
  const handler: RpcHandler =
    session instanceof Error
      ? () => Promise.reject(session)
      : sessionHandler(session.datamodels, session.datasource, (content) => live.print(content));
  const onCrash = (error: unknown) => {
    const explained = explain(error);
    process.stderr.write(`${logLine('ERROR', explained.message)}\n`);
    live.crash(explained);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  await live.serve();
  // Explicit exit: the wasm engine and pg pools keep the event loop alive after the work is done.
  process.exit(live.failed || session instanceof Error ? 1 : 0);
}

async function main(argv: readonly string[]): Promise<void> {
  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv);
  } catch (error) {
    if (argv.includes('cli')) throw error;
    return serveRpc(error instanceof Error ? error : new Error(String(error)));
  }
  switch (invocation.kind) {
    case 'version':
      process.stdout.write(`${await engineVersionLine()}\n`);
      break;
    case 'one-shot':
      process.stdout.write(`${await runOneShot(invocation.command, invocation.datasource)}\n`);
      break;
    case 'rpc':
      return serveRpc(invocation);
  }
  process.exit(0);
}

main(process.argv.slice(2)).catch(exitWithError);
