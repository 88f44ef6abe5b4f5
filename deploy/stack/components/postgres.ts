import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { Component, StackContext } from '../component';
import { mustRun } from '../commands';
import { installDebianPackages } from '../apt';
import { applyMigrations, generateClients } from '../migrations';
import { appEnvironment } from './app-process';
import { launchDetached, livePid, stopProcess } from '../processes';
import { LOOPBACK } from '../ports';

/** The bounded contexts, each with a database and a login role of its own. */
export const CONTEXT_DATABASES = ['trackops_orders', 'trackops_inventory'] as const;

const dataDir = (ctx: StackContext) => path.join(ctx.paths.data, 'postgres');
const socketDir = (ctx: StackContext) => path.join(ctx.paths.run, 'postgres-socket');
const pidFile = (ctx: StackContext) => path.join(ctx.paths.run, 'postgres.pid');

export function postgresPasswords(env: NodeJS.ProcessEnv) {
  return {
    superuser: env.POSTGRES_SUPERUSER_PASSWORD ?? 'postgres',
    app: env.TRACKOPS_DB_PASSWORD ?? 'trackops',
    debezium: env.DEBEZIUM_DB_PASSWORD ?? 'debezium',
  };
}

/** Debian keeps one folder per major version; take the newest installed. */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], 'bin');
}

function binDir(): string {
  const dir = findBinDir();
  if (!dir) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  return dir;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([
    mustRun('id', ['-u', 'postgres']),
    mustRun('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Server settings Debezium needs (logical decoding) plus a cap on WAL a stalled slot may hold. */
function serverSettings(ctx: StackContext): string {
  return [
    `listen_addresses = '${LOOPBACK}'`,
    `port = ${ctx.ports.POSTGRES_PORT}`,
    `unix_socket_directories = '${socketDir(ctx)}'`,
    `wal_level = logical`,
    `max_wal_senders = 10`,
    `max_replication_slots = 10`,
    `max_slot_wal_keep_size = '2GB'`,
    `max_connections = 300`,
    `shared_buffers = '256MB'`,
    `synchronous_commit = on`,
    `log_min_messages = warning`,
    `log_line_prefix = '%m [%p] %q%u@%d '`,
    '',
  ].join('\n');
}

export function superuserClient(ctx: StackContext, database = 'postgres'): Client {
  return new Client({
    host: LOOPBACK,
    port: ctx.ports.POSTGRES_PORT,
    user: 'postgres',
    password: postgresPasswords(ctx.env).superuser,
    database,
    connectionTimeoutMillis: 2000,
  });
}

async function withSuperuser<T>(ctx: StackContext, database: string, work: (c: Client) => Promise<T>) {
  const client = superuserClient(ctx, database);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

async function ensureRole(client: Client, role: string, options: string, password: string) {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const verb = exists.rowCount ? 'ALTER' : 'CREATE';
  await client.query(`${verb} ROLE ${role} WITH ${options} PASSWORD ${quoteLiteral(password)}`);
}

async function ensureDatabase(client: Client, database: string, owner: string) {
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (!exists.rowCount) await client.query(`CREATE DATABASE ${database} OWNER ${owner}`);
}

export const postgresComponent: Component = {
  name: 'postgres',
  dependsOn: [],
  startTimeoutMs: 60_000,
  port: (ctx) => ctx.ports.POSTGRES_PORT,
  logFile: (ctx) => path.join(ctx.paths.logs, 'postgres.log'),
  pid: (ctx) => livePid(pidFile(ctx)),
  dataDirs: (ctx) => [dataDir(ctx)],

  async install(ctx) {
    // The Prisma clients are generated from the schemas of the databases this component serves;
    // nothing else in the stack needs them first, and generating needs no running server.
    const generated = await generateClients(ctx.env);
    for (const g of generated.filter((r) => r.generated))
      ctx.progress('postgres', `generated Prisma client ${g.context}`);
    if (!findBinDir()) {
      await installDebianPackages(['postgresql', 'postgresql-contrib'], (m) => ctx.progress('postgres', m));
    }
    const dir = dataDir(ctx);
    if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return;
    ctx.progress('postgres', `initdb ${dir}`);
    const user = await postgresUser();
    fs.mkdirSync(dir, { recursive: true });
    fs.chownSync(dir, user.uid, user.gid);
    fs.chmodSync(dir, 0o700);
    const pwFile = path.join(ctx.paths.run, 'postgres-initdb.pw');
    fs.mkdirSync(ctx.paths.run, { recursive: true });
    fs.writeFileSync(pwFile, `${postgresPasswords(ctx.env).superuser}\n`, { mode: 0o600 });
    fs.chownSync(pwFile, user.uid, user.gid);
    try {
      await mustRun(
        path.join(binDir(), 'initdb'),
        [
          '-D',
          dir,
          '-U',
          'postgres',
          '--pwfile',
          pwFile,
          '--auth-local=peer',
          '--auth-host=scram-sha-256',
          '-E',
          'UTF8',
        ],
        { ...user, cwd: '/tmp' },
      );
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
    fs.appendFileSync(path.join(dir, 'postgresql.conf'), "\ninclude_if_exists = 'trackops.conf'\n");
  },

  async isHealthy(ctx) {
    try {
      return await withSuperuser(ctx, 'postgres', async (c) => (await c.query('SELECT 1')).rowCount === 1);
    } catch {
      return false;
    }
  },

  async start(ctx) {
    const user = await postgresUser();
    const dir = dataDir(ctx);
    fs.mkdirSync(socketDir(ctx), { recursive: true });
    fs.chownSync(socketDir(ctx), user.uid, user.gid);
    // Rewritten on every start so a changed port or setting takes effect without a re-init.
    fs.writeFileSync(path.join(dir, 'trackops.conf'), serverSettings(ctx));
    fs.chownSync(path.join(dir, 'trackops.conf'), user.uid, user.gid);
    // A crash can leave postmaster.pid behind; postgres itself checks whether that pid is alive.
    launchDetached({
      command: path.join(binDir(), 'postgres'),
      args: ['-D', dir],
      cwd: '/tmp',
      logFile: this.logFile(ctx),
      pidFile: pidFile(ctx),
      ...user,
    });
  },

  async configure(ctx) {
    const passwords = postgresPasswords(ctx.env);
    await withSuperuser(ctx, 'postgres', async (c) => {
      for (const database of CONTEXT_DATABASES) {
        // CREATEDB: Prisma's migrate diff needs a shadow database of its own.
        await ensureRole(c, database, 'LOGIN CREATEDB', passwords.app);
        await ensureDatabase(c, database, database);
      }
      await ensureRole(c, 'debezium', 'LOGIN REPLICATION', passwords.debezium);
      // Membership makes debezium act as the tables' owner: it may read them for snapshots,
      // create the filtered publication and write its heartbeat row, and nothing else.
      for (const database of CONTEXT_DATABASES) await c.query(`GRANT ${database} TO debezium`);
    });
    for (const result of await applyMigrations(appEnvironment(ctx))) {
      ctx.progress('postgres', `${result.database}: schema up to date (${result.migrations} migrations)`);
    }
  },

  async stop(ctx) {
    // SIGINT is Postgres' "fast" shutdown: SIGTERM would wait for every client to disconnect.
    await stopProcess(pidFile(ctx), 60_000, 'SIGINT');
  },
};
