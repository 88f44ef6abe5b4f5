import path from 'node:path';

/**
 * The two bounded contexts, each with a Postgres database, a Prisma schema and a migration
 * history of its own. prisma.config.ts, the stack and the tests all read this one description.
 */
export interface PrismaContext {
  name: 'orders' | 'inventory';
  /** Folder holding schema.prisma, prisma.config.ts and migrations/. */
  dir: string;
  configPath: string;
  schemaPath: string;
  migrationsDir: string;
  /** Where `prisma generate` writes this context's client (git-ignored). */
  generatedDir: string;
  urlEnv: string;
  shadowUrlEnv: string;
  defaultUrl: string;
  /** Tables the migrations must leave behind; checked after every deploy. */
  tables: readonly string[];
}

function describeContext(
  name: PrismaContext['name'],
  envPrefix: string,
  tables: readonly string[],
): PrismaContext {
  const dir = path.join(__dirname, name);
  return {
    name,
    dir,
    configPath: path.join(dir, 'prisma.config.ts'),
    schemaPath: path.join(dir, 'schema.prisma'),
    migrationsDir: path.join(dir, 'migrations'),
    generatedDir: path.join(__dirname, 'generated', name),
    urlEnv: `${envPrefix}_DATABASE_URL`,
    shadowUrlEnv: `${envPrefix}_SHADOW_DATABASE_URL`,
    defaultUrl: `postgresql://trackops_${name}:trackops@127.0.0.1:5432/trackops_${name}`,
    tables,
  };
}

export const ordersContext = describeContext('orders', 'ORDERS', [
  'orders',
  'order_items',
  'payments',
  'order_events',
  'outbox',
  'processed_events',
  'debezium_heartbeat',
  'shipment_events',
]);

export const inventoryContext = describeContext('inventory', 'INVENTORY', [
  'inventory_items',
  'inventory_reservations',
  'outbox',
  'processed_events',
  'debezium_heartbeat',
]);

export const prismaContexts: readonly PrismaContext[] = [ordersContext, inventoryContext];

export function databaseUrl(context: PrismaContext, env: NodeJS.ProcessEnv = process.env): string {
  return env[context.urlEnv] || context.defaultUrl;
}

/** Defaults to `<database>_shadow` on the same server, so pointing the main URL elsewhere moves both. */
export function shadowDatabaseUrl(context: PrismaContext, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[context.shadowUrlEnv];
  if (explicit) return explicit;
  const url = new URL(databaseUrl(context, env));
  url.pathname = `${url.pathname.replace(/\/$/, '')}_shadow`;
  return url.toString();
}
