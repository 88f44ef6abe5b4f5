import { spawn } from 'node:child_process';
import readline from 'node:readline';
import path from 'node:path';
import { ordersContext } from '../../prisma/contexts';
import { parsePgUrl, withDatabase } from '../../prisma/engine/datasource';
import {
  applyMigrations,
  checkContextDrift,
  runPrisma,
  schemaEngineBridge,
  verifyMigrated,
} from '../../deploy/stack/migrations';
import { runCommand } from '../../deploy/stack/commands';
import { createScratchDatabases, query, type ScratchDatabases } from './scratch-databases';

jest.setTimeout(180_000);

let scratch: ScratchDatabases;

beforeAll(async () => {
  scratch = await createScratchDatabases('bridge', [ordersContext]);
});

afterAll(async () => {
  await scratch?.drop();
});

function urlWith(change: (url: URL) => void): string {
  const url = new URL(scratch.url(ordersContext));
  change(url);
  return url.toString();
}

const oneShot = (url: string, command = 'can-connect-to-database') =>
  runCommand(schemaEngineBridge, ['--datasource', JSON.stringify({ url }), 'cli', command]);

/** The JSON log lines after the first, as the Prisma CLI reads a failed one-shot command. */
function errorLog(stderr: string): { error_code?: string; message: string } | undefined {
  const lines = stderr.trim().split('\n').slice(1);
  const entries = lines.map(
    (line) => JSON.parse(line) as { level: string; fields: { error_code?: string; message: string } },
  );
  return entries.find((entry) => entry.level === 'ERROR')?.fields;
}

/** Runs the bridge in JSON-RPC mode, sends one request, returns the response and the exit code. */
async function rpc(args: string[], method: string, params: unknown) {
  const child = spawn(schemaEngineBridge, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const lines = readline.createInterface({ input: child.stdout });
  const response = new Promise<Record<string, unknown>>((resolve) => {
    lines.on('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 7, method, params })}\n`);
  const answer = await response;
  child.stdin.end();
  return { answer, code: await exited };
}

/** Where the Prisma CLI reads the message of a failed request. */
const errorMessage = (answer: Record<string, unknown>) =>
  (answer.error as { data?: { message?: string } } | undefined)?.data?.message;

const emptyMigrations = {
  migrationsList: {
    baseDir: ordersContext.migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: null },
    shadowDbInitScript: '',
    migrationDirectories: [],
  },
  filters: { externalTables: [], externalEnums: [] },
};

/** The engine build the installed Prisma CLI was released with, resolved the way the CLI resolves it. */
function cliEnginesVersion(): string {
  const cliDir = path.dirname(require.resolve('prisma/package.json'));
  const modulePath = require.resolve('@prisma/engines-version', { paths: [cliDir] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const engines = require(modulePath) as { enginesVersion: string };
  return engines.enginesVersion;
}

test('--version names the engine build the CLI expects', async () => {
  const enginesVersion = cliEnginesVersion();
  const result = await runCommand(schemaEngineBridge, ['--version']);
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toBe(`schema-engine-cli ${enginesVersion} (wasm bridge)`);
});

test('one-shot commands exit non-zero with the error codes the CLI branches on', async () => {
  expect((await oneShot(scratch.url(ordersContext))).code).toBe(0);

  const wrongPassword = await oneShot(urlWith((u) => (u.password = 'wrong')));
  expect(wrongPassword.code).toBe(1);
  expect(errorLog(wrongPassword.stderr)?.error_code).toBe('P1000');

  const noServer = await oneShot(urlWith((u) => (u.port = '1')));
  expect(noServer.code).toBe(1);
  expect(errorLog(noServer.stderr)?.error_code).toBe('P1001');

  const noDatabase = await oneShot(urlWith((u) => (u.pathname = '/trackops_no_such_database')));
  expect(noDatabase.code).toBe(1);
  expect(errorLog(noDatabase.stderr)).toMatchObject({ error_code: 'P1003' });
});

test('an RPC request against a bad database gets an error response, not a silent exit', async () => {
  const url = urlWith((u) => (u.password = 'wrong'));
  const { answer } = await rpc(['--datasource', JSON.stringify({ url })], 'applyMigrations', emptyMigrations);
  expect(answer.id).toBe(7);
  expect(errorMessage(answer)).toMatch(/Authentication failed/);
});

test('arguments the bridge does not understand fail the request instead of the process', async () => {
  const { answer, code } = await rpc(['--extension-types', '{}'], 'applyMigrations', emptyMigrations);
  expect(answer.id).toBe(7);
  expect(errorMessage(answer)).toMatch(/extension-types/);
  expect(code).toBe(1);
});

test('prisma migrate deploy through the bridge fails on a bad database URL', async () => {
  const env = { ...scratch.env, [ordersContext.urlEnv]: urlWith((u) => (u.password = 'wrong')) };
  const deploy = await runPrisma(['migrate', 'deploy', '--config', ordersContext.configPath], env);
  expect(deploy.code).not.toBe(0);
  expect(`${deploy.stdout}${deploy.stderr}`).toContain('P1000');
  await expect(applyMigrations(env, [ordersContext])).rejects.toThrow(
    /migrate deploy \(orders\) exited with status 1/,
  );
});

test('a schema engine that does nothing cannot pass for a migration', async () => {
  const env = { ...scratch.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true' };
  // Prisma itself reports success here (the danger this guards against) ...
  const deploy = await runPrisma(['migrate', 'deploy', '--config', ordersContext.configPath], env);
  if (deploy.code === 0) {
    const tables = await query(
      scratch.url(ordersContext),
      `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(tables).toEqual([]);
  }
  // ... so deploy and drift check verify the work themselves.
  await expect(applyMigrations(env, [ordersContext])).rejects.toThrow(/orders/);
  await expect(verifyMigrated(ordersContext, scratch.env)).rejects.toThrow(/lacks tables .*orders/);
  await expect(checkContextDrift(ordersContext, env)).rejects.toThrow(/orders/);
});

test('a missing database is created by migrate deploy, as the native engine does', async () => {
  const base = parsePgUrl(scratch.url(ordersContext));
  const fresh = withDatabase(base, `${base.database}_new`);
  const env = { ...scratch.env, [ordersContext.urlEnv]: fresh.connectionString };
  try {
    await applyMigrations(env, [ordersContext]);
    await verifyMigrated(ordersContext, env);
  } finally {
    await runCommand(schemaEngineBridge, [
      '--datasource',
      JSON.stringify({ url: fresh.connectionString }),
      'cli',
      'drop-database',
    ]);
  }
});
