import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { parsePgUrl } from '../../prisma/engine/datasource';
import { databaseUrl, prismaContexts, type PrismaContext } from '../../prisma/contexts';
import { runCommand, type CommandResult } from './commands';
import { repoRoot } from './paths';

/** The wasm-backed stand-in for Prisma's native schema engine, which cannot be downloaded here. */
export const schemaEngineBridge = path.join(repoRoot, 'prisma', 'engine', 'schema-engine');
const prismaPackage = path.join(repoRoot, 'node_modules', 'prisma');
const prismaCli = path.join(prismaPackage, 'build', 'index.js');

/**
 * The Prisma CLI's environment: the bridge as schema engine unless one is already configured
 * (a native binary where it can be had), and no update checks against an unreachable host.
 */
export function prismaEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    PRISMA_SCHEMA_ENGINE_BINARY: env.PRISMA_SCHEMA_ENGINE_BINARY || schemaEngineBridge,
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  };
}

export function runPrisma(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  return runCommand(process.execPath, [prismaCli, ...args], { cwd: repoRoot, env: prismaEnv(env) });
}

function failure(what: string, result: CommandResult): Error {
  const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-30).join('\n');
  return new Error(`${what} exited with status ${result.code}:\n${output}`);
}

/** Migration folders on disk, in the order Prisma applies them. */
export function migrationNames(context: PrismaContext): string[] {
  if (!fs.existsSync(context.migrationsDir)) return [];
  return fs
    .readdirSync(context.migrationsDir, { withFileTypes: true })
    .filter(
      (entry) =>
        entry.isDirectory() && fs.existsSync(path.join(context.migrationsDir, entry.name, 'migration.sql')),
    )
    .map((entry) => entry.name)
    .sort();
}

/**
 * Proof, read from the database itself, that the migrations ran: every table the context owns
 * exists and every migration folder is recorded as finished. A schema engine that does nothing
 * and exits 0 (what Prisma does with a dummy PRISMA_SCHEMA_ENGINE_BINARY) fails here.
 */
export async function verifyMigrated(
  context: PrismaContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const target = parsePgUrl(databaseUrl(context, env));
  const client = new Client({ connectionString: target.connectionString, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
      [target.schema],
    );
    const present = new Set(tables.rows.map((row) => row.table_name));
    const missingTables = [...context.tables, '_prisma_migrations'].filter((table) => !present.has(table));
    if (missingTables.length > 0) {
      throw new Error(
        `${context.name}: after migrate deploy, ${target.database} lacks tables ${missingTables.join(', ')}; the schema engine did not apply the migrations`,
      );
    }
    const applied = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const recorded = new Set(applied.rows.map((row) => row.migration_name));
    const unapplied = migrationNames(context).filter((name) => !recorded.has(name));
    if (unapplied.length > 0) {
      throw new Error(
        `${context.name}: migrations not recorded as applied in ${target.database}: ${unapplied.join(', ')}`,
      );
    }
  } finally {
    await client.end();
  }
}

export interface DeployResult {
  context: PrismaContext['name'];
  database: string;
  migrations: number;
  durationMs: number;
}

async function deployContext(context: PrismaContext, env: NodeJS.ProcessEnv): Promise<DeployResult> {
  const started = Date.now();
  const result = await runPrisma(['migrate', 'deploy', '--config', context.configPath], env);
  if (result.code !== 0) throw failure(`prisma migrate deploy (${context.name})`, result);
  await verifyMigrated(context, env);
  return {
    context: context.name,
    database: parsePgUrl(databaseUrl(context, env)).database,
    migrations: migrationNames(context).length,
    durationMs: Date.now() - started,
  };
}

/**
 * `prisma migrate deploy` for each context, then the database check above. Idempotent: applied
 * migrations are skipped, and a missing database is created (the roles have CREATEDB).
 */
export function applyMigrations(
  env: NodeJS.ProcessEnv = process.env,
  contexts: readonly PrismaContext[] = prismaContexts,
): Promise<DeployResult[]> {
  return Promise.all(contexts.map((context) => deployContext(context, env)));
}

export interface DriftResult {
  context: PrismaContext['name'];
  drifted: boolean;
  /** What `migrate diff` says would change: the migration that is missing. */
  summary: string;
}

export class MigrationDriftError extends Error {
  constructor(readonly drifted: DriftResult[]) {
    super(
      `schema.prisma and the migrations disagree; author a migration (see prisma/README.md):\n${drifted
        .map((d) => `[${d.context}]\n${d.summary}`)
        .join('\n')}`,
    );
    this.name = 'MigrationDriftError';
  }
}

/**
 * Replays the context's migrations on its shadow database and compares the result with its
 * schema.prisma. Exit 0 only counts with the engine's own "No difference detected.", so an
 * engine that silently does nothing cannot pass.
 */
export async function checkContextDrift(
  context: PrismaContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DriftResult> {
  const result = await runPrisma(
    [
      'migrate',
      'diff',
      '--from-migrations',
      context.migrationsDir,
      '--to-schema',
      context.schemaPath,
      '--exit-code',
      '--config',
      context.configPath,
    ],
    env,
  );
  if (result.code === 2) return { context: context.name, drifted: true, summary: result.stdout.trim() };
  if (result.code === 0 && result.stdout.includes('No difference detected.')) {
    return { context: context.name, drifted: false, summary: 'No difference detected.' };
  }
  if (result.code === 0) {
    throw new Error(
      `prisma migrate diff (${context.name}) exited 0 without comparing anything; is PRISMA_SCHEMA_ENGINE_BINARY a working engine?`,
    );
  }
  throw failure(`prisma migrate diff (${context.name})`, result);
}

/** Resolves when every context's migrations produce its schema.prisma; throws MigrationDriftError otherwise. */
export async function checkMigrationDrift(
  env: NodeJS.ProcessEnv = process.env,
  contexts: readonly PrismaContext[] = prismaContexts,
): Promise<DriftResult[]> {
  const results = await Promise.all(contexts.map((context) => checkContextDrift(context, env)));
  const drifted = results.filter((result) => result.drifted);
  if (drifted.length > 0) throw new MigrationDriftError(drifted);
  return results;
}

const STAMP_FILE = '.schema.sha256';

/** What the generated client depends on: the schema and the Prisma version that generated it. */
function generationFingerprint(context: PrismaContext): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(prismaPackage, 'package.json'), 'utf8')) as {
    version: string;
  };
  const version = manifest.version;
  return crypto
    .createHash('sha256')
    .update(version)
    .update('\0')
    .update(fs.readFileSync(context.schemaPath))
    .digest('hex');
}

export interface GenerateResult {
  context: PrismaContext['name'];
  generated: boolean;
  outputDir: string;
}

/**
 * Two processes generating into one folder (parallel test workers, a developer and the stack)
 * would interleave their writes; mkdir is atomic, so a lock folder serialises them.
 */
async function withLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir, { recursive: false });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) fs.rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

async function generateContext(context: PrismaContext, env: NodeJS.ProcessEnv): Promise<GenerateResult> {
  fs.mkdirSync(path.dirname(context.generatedDir), { recursive: true });
  return withLock(`${context.generatedDir}.lock`, () => generateUnlocked(context, env));
}

async function generateUnlocked(context: PrismaContext, env: NodeJS.ProcessEnv): Promise<GenerateResult> {
  const stamp = path.join(context.generatedDir, STAMP_FILE);
  const clientFile = path.join(context.generatedDir, 'client.ts');
  const fingerprint = generationFingerprint(context);
  const current =
    fs.existsSync(clientFile) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === fingerprint;
  if (current) return { context: context.name, generated: false, outputDir: context.generatedDir };
  const result = await runPrisma(['generate', '--config', context.configPath], env);
  if (result.code !== 0) throw failure(`prisma generate (${context.name})`, result);
  if (!fs.existsSync(clientFile)) throw new Error(`prisma generate (${context.name}) wrote no ${clientFile}`);
  fs.writeFileSync(stamp, fingerprint);
  return { context: context.name, generated: true, outputDir: context.generatedDir };
}

/** `prisma generate` for each context whose schema (or Prisma version) changed since the last run. */
export function generateClients(
  env: NodeJS.ProcessEnv = process.env,
  contexts: readonly PrismaContext[] = prismaContexts,
): Promise<GenerateResult[]> {
  return Promise.all(contexts.map((context) => generateContext(context, env)));
}
