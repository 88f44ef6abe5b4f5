import fs from 'node:fs';
import { inspect } from 'node:util';
import { bindMigrationAwareSqlAdapterFactory, type ErrorRegistry } from '@prisma/driver-adapter-utils';
import type { DiffParams, CreateDatabaseParams } from '@prisma/schema-engine-wasm';
import { parsePgUrl, type DatasourceConfig } from './datasource';
import { KnownEngineError } from './errors';
import { BridgeAdapterFactory } from './pg-adapter';
import { runOneShot } from './one-shot';
import { MethodNotFound, type RpcHandler } from './rpc-server';
import { loadSchemaEngineModule, type SchemaEngine } from './wasm-engine';

/** RPC methods whose params and results the wasm engine shares with the native one. */
const PASS_THROUGH = new Set([
  'applyMigrations',
  'createMigration',
  'dbExecute',
  'devDiagnostic',
  'diagnoseMigrationHistory',
  'ensureConnectionValidity',
  'evaluateDataLoss',
  'introspect',
  'introspectSql',
  'markMigrationApplied',
  'markMigrationRolledBack',
  'reset',
  'schemaPush',
]);

/** The engine's own log lines are in the native JSON format; the CLI reads ERROR ones from stderr. */
function forwardLog(line: unknown): void {
  const text = String(line);
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Answers the CLI's requests with the wasm engine; the engine is started by the first request. */
export function sessionHandler(
  datamodelPaths: string[],
  datasource: DatasourceConfig,
  /** Text the CLI must show on its stdout (see RpcServer.print). */
  print: (content: string) => void,
): RpcHandler {
  const factory = bindMigrationAwareSqlAdapterFactory(
    new BridgeAdapterFactory(
      datasource.url === undefined ? undefined : parsePgUrl(datasource.url),
      datasource.shadowDatabaseUrl === undefined ? undefined : parsePgUrl(datasource.shadowDatabaseUrl),
    ),
  );
  // Created on the first request: the constructor connects, and a connection error is best
  // reported as that request's error, which the CLI shows.
  let engine: Promise<SchemaEngine> | undefined;
  const getEngine = () => {
    engine ??= loadSchemaEngineModule().then((wasm) => {
      const files = datamodelPaths.map((file): [string, string] => [file, fs.readFileSync(file, 'utf8')]);
      // An empty list makes the engine panic; "no schema" is spelled undefined.
      const datamodels = files.length > 0 ? files : undefined;
      return wasm.SchemaEngine.new({ datamodels }, forwardLog, factory);
    });
    return engine;
  };

  const handle: RpcHandler = async (method, params) => {
    if (PASS_THROUGH.has(method)) {
      const live = (await getEngine()) as unknown as Record<string, (p: unknown) => Promise<unknown>>;
      return live[method]!.call(live, params);
    }
    switch (method) {
      case 'diff': {
        const result = await (await getEngine()).diff(params as DiffParams);
        if (result.stdout) print(result.stdout.replace(/\n$/, ''));
        return { ...result, stdout: null };
      }
      case 'getDatabaseVersion':
        return (await getEngine()).version();
      case 'createDatabase':
        return createDatabase(params as CreateDatabaseParams, datasource);
      case 'debugPanic':
        return (await getEngine()).debugPanic();
      default:
        throw new MethodNotFound(`The wasm schema engine bridge has no method ${method}`);
    }
  };
  return (method, params) =>
    handle(method, params).catch((error: unknown) => {
      throw withAdapterErrors(error, factory.errorRegistry);
    });
}

/**
 * The engine reports an error thrown by our adapter code (not a database error it knows) as
 * "External error id#N"; the error itself waits in the adapter binding's registry.
 */
function withAdapterErrors(error: unknown, registry: ErrorRegistry): unknown {
  if (!(error instanceof Error)) return error;
  let errorCode: string | undefined;
  const message = error.message.replace(/External error id#(\d+)/g, (whole, id: string) => {
    const cause = registry.consumeError(Number(id))?.error;
    if (cause === undefined) return whole;
    if (cause instanceof KnownEngineError) errorCode = cause.errorCode;
    return cause instanceof Error ? cause.message : inspect(cause);
  });
  if (message === error.message) return error;
  return errorCode === undefined ? new Error(message) : new KnownEngineError(errorCode, message);
}

async function createDatabase(params: CreateDatabaseParams, datasource: DatasourceConfig) {
  const url = params.datasource.tag === 'ConnectionString' ? params.datasource.url : datasource.url;
  if (url === undefined) throw new Error('createDatabase needs a connection string');
  await runOneShot('create-database', { url });
  return { databaseName: parsePgUrl(url).database };
}
