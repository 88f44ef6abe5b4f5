import crypto from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, prismaContexts, type PrismaContext } from '../../prisma/contexts';
import { parsePgUrl, quoteIdent, withDatabase } from '../../prisma/engine/datasource';
import { dropDatabase } from '../../prisma/engine/drop-database';

/**
 * Each test file gets databases of its own, named after the context's configured one
 * (ORDERS_DATABASE_URL / INVENTORY_DATABASE_URL, same server and role), so tests can run in
 * parallel, never touch the stack's data, and start from an empty schema.
 */
export interface ScratchDatabases {
  /** process.env with every context's database and shadow URLs pointed at the scratch ones. */
  env: NodeJS.ProcessEnv;
  url(context: PrismaContext): string;
  drop(): Promise<void>;
}

/** Runs one statement on the server of `url`, connected to its `postgres` database. */
export async function onServer(url: string, sql: string): Promise<void> {
  const client = new Client({
    connectionString: withDatabase(parsePgUrl(url), 'postgres').connectionString,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabases(
  label: string,
  contexts: readonly PrismaContext[] = prismaContexts,
): Promise<ScratchDatabases> {
  const suffix = `${label}_${crypto.randomBytes(3).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  const created: { url: string; database: string }[] = [];
  const urls = new Map<string, string>();
  for (const context of contexts) {
    const base = parsePgUrl(databaseUrl(context));
    const main = withDatabase(base, `${base.database}_t_${suffix}`);
    const shadow = withDatabase(base, `${main.database}_shadow`);
    for (const target of [main, shadow]) {
      await onServer(target.connectionString, `CREATE DATABASE ${quoteIdent(target.database)}`);
      created.push({ url: target.connectionString, database: target.database });
    }
    env[context.urlEnv] = main.connectionString;
    env[context.shadowUrlEnv] = shadow.connectionString;
    urls.set(context.name, main.connectionString);
  }
  return {
    env,
    url: (context) => {
      const url = urls.get(context.name);
      if (url === undefined) throw new Error(`no scratch database for ${context.name}`);
      return url;
    },
    drop: async () => {
      for (const { url, database } of created) {
        await dropDatabase((sql) => onServer(url, sql), database);
      }
    },
  };
}

export async function query<T extends object>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
