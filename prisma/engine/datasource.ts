/** What the CLI passes as `--datasource`: the `datasource` block of prisma.config.ts, as JSON. */
export interface DatasourceConfig {
  url?: string;
  shadowDatabaseUrl?: string;
}

/** A Postgres connection string split into what pg needs and what error messages show. */
export interface PgTarget {
  /** The URL without Prisma-only parameters, ready for pg. */
  connectionString: string;
  database: string;
  user: string;
  /** `host:port`, as Prisma's own error messages print it. */
  location: string;
  /** Prisma's `?schema=` parameter; pg does not know it, the adapter takes it as an option. */
  schema: string;
}

const PRISMA_ONLY_PARAMS = [
  'schema',
  'connection_limit',
  'pool_timeout',
  'pgbouncer',
  'statement_cache_size',
];

export function parseDatasource(json: string): DatasourceConfig {
  const value = JSON.parse(json) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error(`--datasource is not an object: ${json}`);
  const { url, shadowDatabaseUrl } = value as Record<string, unknown>;
  return {
    url: typeof url === 'string' && url !== '' ? url : undefined,
    shadowDatabaseUrl:
      typeof shadowDatabaseUrl === 'string' && shadowDatabaseUrl !== '' ? shadowDatabaseUrl : undefined,
  };
}

export function parsePgUrl(url: string): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('The datasource URL is not a valid URL.');
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new Error(`This schema engine bridge only speaks PostgreSQL, not ${parsed.protocol}`);
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  for (const param of PRISMA_ONLY_PARAMS) parsed.searchParams.delete(param);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
  return {
    connectionString: parsed.toString(),
    database,
    user: decodeURIComponent(parsed.username),
    location: `${parsed.hostname}:${parsed.port || '5432'}`,
    schema,
  };
}

/** The same server and database under a different name, for maintenance and shadow databases. */
export function withDatabase(target: PgTarget, database: string): PgTarget {
  const url = new URL(target.connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return { ...target, connectionString: url.toString(), database };
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
