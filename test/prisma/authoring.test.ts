import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ordersContext, type PrismaContext } from '../../prisma/contexts';
import {
  applyMigrations,
  checkContextDrift,
  migrationNames,
  runPrisma,
  verifyMigrated,
} from '../../deploy/stack/migrations';
import { createScratchDatabases, query, type ScratchDatabases } from './scratch-databases';

jest.setTimeout(180_000);

let scratch: ScratchDatabases;
let workDir: string;
let copy: PrismaContext;

/**
 * A copy of the orders context in a temp folder (schema, migrations, and a config pointing at
 * scratch databases), so authoring a migration writes nowhere in the repository.
 */
beforeAll(async () => {
  scratch = await createScratchDatabases('author', [ordersContext]);
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trackops-author-'));
  fs.cpSync(ordersContext.migrationsDir, path.join(workDir, 'migrations'), { recursive: true });
  const schema = fs.readFileSync(ordersContext.schemaPath, 'utf8');
  fs.writeFileSync(
    path.join(workDir, 'schema.prisma'),
    schema.replace(/(model Order \{\n)/, '$1  giftMessage String? @map("gift_message")\n'),
  );
  const datasource = {
    url: scratch.env[ordersContext.urlEnv],
    shadowDatabaseUrl: scratch.env[ordersContext.shadowUrlEnv],
  };
  // A plain object: the temp folder has no node_modules to import defineConfig from.
  fs.writeFileSync(
    path.join(workDir, 'prisma.config.ts'),
    `export default ${JSON.stringify({ schema: 'schema.prisma', migrations: { path: 'migrations' }, datasource })};\n`,
  );
  copy = {
    ...ordersContext,
    dir: workDir,
    configPath: path.join(workDir, 'prisma.config.ts'),
    schemaPath: path.join(workDir, 'schema.prisma'),
    migrationsDir: path.join(workDir, 'migrations'),
  };
  await applyMigrations(scratch.env, [ordersContext]);
});

afterAll(async () => {
  await scratch?.drop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test('migrate dev --create-only writes the migration for a schema change, which then deploys cleanly', async () => {
  expect((await checkContextDrift(copy, scratch.env)).drifted).toBe(true);

  const created = await runPrisma(
    ['migrate', 'dev', '--create-only', '--name', 'add_gift_message', '--config', copy.configPath],
    scratch.env,
  );
  expect(created.code).toBe(0);

  const added = migrationNames(copy).filter((name) => !migrationNames(ordersContext).includes(name));
  expect(added).toHaveLength(1);
  expect(added[0]).toMatch(/^\d{14}_add_gift_message$/);
  const sql = fs.readFileSync(path.join(copy.migrationsDir, added[0] as string, 'migration.sql'), 'utf8');
  expect(sql).toContain('ADD COLUMN     "gift_message" TEXT');

  expect(await checkContextDrift(copy, scratch.env)).toMatchObject({ drifted: false });
  await applyMigrations(scratch.env, [copy]);
  await verifyMigrated(copy, scratch.env);
  const columns = await query<{ column_name: string }>(
    scratch.url(ordersContext),
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'gift_message'`,
  );
  expect(columns).toHaveLength(1);
});
