import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQueryable,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import { quoteIdent, withDatabase, type PgTarget } from './datasource';
import { connectionError, KnownEngineError } from './errors';
import { dropDatabase } from './drop-database';

const TEXT_OID = 25;
const CHAR_OID = 18;
/** Marks, on a result's rows array, which columns were of type "char". */
const CHAR_COLUMNS = Symbol('char columns');

/**
 * adapter-pg rejects result columns of the catalog type "char" (OID 18) as UnsupportedNativeDataType
 * (prisma/orm#27403), and the engine's introspection queries return them (pg_constraint.contype,
 * pg_class.relkind, ...). pg hands them over as text labelled 18; the label is switched to text
 * so the adapter accepts the column, and the rows remember which columns they were, so that
 * `restoreCharColumns` can tell the engine they are characters, which is what it reads them as.
 */
function relabelCharColumns(result: unknown): void {
  for (const one of Array.isArray(result) ? (result as unknown[]) : [result]) {
    const { fields, rows } = (one ?? {}) as { fields?: { dataTypeID: number }[]; rows?: unknown[] };
    const indexes: number[] = [];
    (fields ?? []).forEach((field, index) => {
      if (field.dataTypeID !== CHAR_OID) return;
      field.dataTypeID = TEXT_OID;
      indexes.push(index);
    });
    if (indexes.length > 0 && Array.isArray(rows))
      Object.defineProperty(rows, CHAR_COLUMNS, { value: indexes });
  }
}

function restoreCharColumns(result: SqlResultSet): SqlResultSet {
  const indexes = (result.rows as unknown as Record<symbol, number[] | undefined>)[CHAR_COLUMNS] ?? [];
  for (const index of indexes) result.columnTypes[index] = ColumnTypeEnum.Character;
  return result;
}

function withCharColumns<T extends SqlQueryable>(queryable: T): T {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => restoreCharColumns(await queryRaw(query));
  return queryable;
}

/** Patches one pooled client: pg-pool calls it with a callback, the adapter's transactions with a promise. */
function patchClient(client: pg.PoolClient): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  const patched = (...args: unknown[]): unknown => {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => {
        if (!error) relabelCharColumns(result);
        (callback as (error: unknown, result: unknown) => void)(error, result);
      };
      return original(...args);
    }
    const out = original(...args);
    if (!(out instanceof Promise)) return out;
    return out.then((result: unknown) => {
      relabelCharColumns(result);
      return result;
    });
  };
  client.query = patched as typeof client.query;
}

function createPool(target: PgTarget): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: 4,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('connect', patchClient);
  return pool;
}

/**
 * adapter-pg's executeScript splits on ";", which breaks dollar-quoted bodies and semicolons in
 * comments or literals. A query without parameters goes over the simple protocol, which runs a
 * multi-statement script whole, in one implicit transaction, as the native engine does.
 */
function sendScriptsWhole(adapter: SqlDriverAdapter): SqlDriverAdapter {
  adapter.executeScript = async (script: string) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

/** Runs one statement on its own short-lived connection, with connection errors coded for the CLI. */
export async function runStatement(target: PgTarget, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({
    connectionString: target.connectionString,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionError(error, target);
  }
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

const sameDatabase = (a: PgTarget, b: PgTarget) => a.location === b.location && a.database === b.database;

/**
 * The adapter factory the wasm engine drives: the main database from `url`, and the shadow database
 * from `shadowDatabaseUrl` (reset before use, as the native engine does with an external shadow
 * database) or, without one, a temporary database created and dropped around each use.
 */
export class BridgeAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';

  constructor(
    private readonly main: PgTarget | undefined,
    private readonly shadow: PgTarget | undefined,
  ) {}

  connect(): Promise<SqlDriverAdapter> {
    return this.open(this.requireMain());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const main = this.requireMain();
    if (this.shadow) {
      if (sameDatabase(main, this.shadow)) {
        throw new Error(
          'The shadow database you configured appears to be the same as the main database. Please specify another shadow database.',
        );
      }
      await this.ensureExists(main, this.shadow);
      const adapter = await this.open(this.shadow);
      const schema = quoteIdent(this.shadow.schema);
      await adapter.executeScript(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};`);
      return adapter;
    }
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await runStatement(main, `CREATE DATABASE ${quoteIdent(name)}`);
    return this.open(withDatabase(main, name), async () => {
      await dropDatabase((sql) => runStatement(main, sql), name);
    });
  }

  private requireMain(): PgTarget {
    if (!this.main)
      throw new Error(
        'No datasource url was given to the schema engine (datasource.url in prisma.config.ts).',
      );
    return this.main;
  }

  /** A configured shadow database that is missing is created, when it lives on the main server. */
  private async ensureExists(main: PgTarget, shadow: PgTarget): Promise<void> {
    try {
      await runStatement(shadow, 'SELECT 1');
    } catch (error) {
      const missing = error instanceof KnownEngineError && error.errorCode === 'P1003';
      if (!missing || main.location !== shadow.location) throw error;
      await runStatement(main, `CREATE DATABASE ${quoteIdent(shadow.database)}`);
    }
  }

  private async open(target: PgTarget, afterDispose?: () => Promise<void>): Promise<SqlDriverAdapter> {
    const factory = new PrismaPg(createPool(target), { schema: target.schema, disposeExternalPool: true });
    const adapter = withCharColumns(sendScriptsWhole(await factory.connect()));
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) =>
      withCharColumns(await startTransaction(isolationLevel));
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await afterDispose?.();
    };
    return adapter;
  }
}
