import { parsePgUrl, quoteIdent, withDatabase, type DatasourceConfig, type PgTarget } from './datasource';
import { KnownEngineError } from './errors';
import { runStatement } from './pg-adapter';

/** Where CREATE/DROP DATABASE is issued from: a database that always exists, as the native engine does. */
const MAINTENANCE_DATABASES = ['postgres', 'template1'];

async function onMaintenanceDatabase(target: PgTarget, sql: string): Promise<void> {
  let lastError: unknown;
  for (const database of MAINTENANCE_DATABASES) {
    try {
      await runStatement(withDatabase(target, database), sql);
      return;
    } catch (error) {
      if (!(error instanceof KnownEngineError && error.errorCode === 'P1003')) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

const isDuplicateDatabase = (error: unknown) => (error as { code?: string } | null)?.code === '42P04';

/**
 * The `schema-engine cli <command>` invocations the Prisma CLI makes before `migrate dev` and
 * friends: it reads a non-zero exit plus an ERROR log line as "cannot connect / create".
 */
export async function runOneShot(command: string, datasource: DatasourceConfig): Promise<string> {
  if (!datasource.url) throw new Error('`cli` commands need --datasource with a url');
  const target = parsePgUrl(datasource.url);
  switch (command) {
    case 'can-connect-to-database':
      await runStatement(target, 'SELECT 1');
      return 'Connection successful';
    case 'create-database':
      try {
        await onMaintenanceDatabase(target, `CREATE DATABASE ${quoteIdent(target.database)}`);
      } catch (error) {
        if (!isDuplicateDatabase(error)) throw error;
        throw new KnownEngineError(
          'P1009',
          `Database \`${target.database}\` already exists on the database server at \`${target.location}\``,
        );
      }
      return `Database '${target.database}' was successfully created.`;
    case 'drop-database':
      await onMaintenanceDatabase(target, `DROP DATABASE ${quoteIdent(target.database)}`);
      return `The database was successfully dropped.`;
    default:
      throw new Error(`Unknown schema engine cli command: ${command}`);
  }
}
