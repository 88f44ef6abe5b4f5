import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ordersContext } from '../../prisma/contexts';
import { checkContextDrift, checkMigrationDrift, MigrationDriftError } from '../../deploy/stack/migrations';
import { createScratchDatabases, type ScratchDatabases } from './scratch-databases';

jest.setTimeout(180_000);

let scratch: ScratchDatabases;
let tempDir: string;

beforeAll(async () => {
  scratch = await createScratchDatabases('drift');
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trackops-drift-'));
});

afterAll(async () => {
  await scratch?.drop();
  fs.rmSync(tempDir, { recursive: true, force: true });
});

test('the committed migrations produce exactly the committed schemas', async () => {
  // Inventory's migration carries hand-written CHECK constraints: they must not count as drift.
  const results = await checkMigrationDrift(scratch.env);
  expect(results).toEqual([
    { context: 'orders', drifted: false, summary: 'No difference detected.' },
    { context: 'inventory', drifted: false, summary: 'No difference detected.' },
  ]);
});

test('a schema change without a migration is drift', async () => {
  const schema = fs.readFileSync(ordersContext.schemaPath, 'utf8');
  const changed = schema.replace(/(model Order \{\n)/, '$1  giftMessage String? @map("gift_message")\n');
  expect(changed).not.toEqual(schema);
  const schemaPath = path.join(tempDir, 'schema.prisma');
  fs.writeFileSync(schemaPath, changed);
  const edited = { ...ordersContext, schemaPath };

  const result = await checkContextDrift(edited, scratch.env);
  expect(result.drifted).toBe(true);
  expect(result.summary).toContain('gift_message');

  const failure = await checkMigrationDrift(scratch.env, [edited]).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(MigrationDriftError);
  expect((failure as MigrationDriftError).message).toContain('orders');
});

test('the shadow database must be a database of its own', async () => {
  const env = { ...scratch.env, [ordersContext.shadowUrlEnv]: scratch.url(ordersContext) };
  await expect(checkContextDrift(ordersContext, env)).rejects.toThrow(/same as the main database/);
});
