import { inventoryContext, ordersContext, prismaContexts } from '../../prisma/contexts';
import { applyMigrations, migrationNames, runPrisma } from '../../deploy/stack/migrations';
import { createScratchDatabases, query, type ScratchDatabases } from './scratch-databases';

jest.setTimeout(180_000);

let scratch: ScratchDatabases;

beforeAll(async () => {
  scratch = await createScratchDatabases('mig');
});

afterAll(async () => {
  await scratch?.drop();
});

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  started_at: Date;
}

const migrationRows = (url: string) =>
  query<MigrationRow>(
    url,
    'SELECT migration_name, checksum, finished_at, started_at FROM _prisma_migrations ORDER BY migration_name',
  );

const tablesOf = async (url: string) =>
  (
    await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    )
  )
    .map((row) => row.table_name)
    .sort();

test('migrate deploy on empty databases creates every table and records each migration', async () => {
  for (const context of prismaContexts) expect(await tablesOf(scratch.url(context))).toEqual([]);

  const results = await applyMigrations(scratch.env);

  expect(results.map((r) => r.context)).toEqual(['orders', 'inventory']);
  for (const context of prismaContexts) {
    const url = scratch.url(context);
    expect(await tablesOf(url)).toEqual([...context.tables, '_prisma_migrations'].sort());
    const rows = await migrationRows(url);
    expect(rows.map((r) => r.migration_name)).toEqual(migrationNames(context));
    for (const row of rows) {
      expect(row.finished_at).not.toBeNull();
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
  }
});

test('applying again is a no-op', async () => {
  const before = await Promise.all(prismaContexts.map((c) => migrationRows(scratch.url(c))));

  const deploy = await runPrisma(['migrate', 'deploy', '--config', ordersContext.configPath], scratch.env);
  expect(deploy.code).toBe(0);
  expect(deploy.stdout).toContain('No pending migrations to apply.');
  await applyMigrations(scratch.env);

  const after = await Promise.all(prismaContexts.map((c) => migrationRows(scratch.url(c))));
  expect(after).toEqual(before);
});

test('migrate status reports the databases up to date', async () => {
  const status = await runPrisma(['migrate', 'status', '--config', inventoryContext.configPath], scratch.env);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('Database schema is up to date!');
});

test('the hand-written CHECK constraints hold', async () => {
  const inventory = scratch.url(inventoryContext);
  const insert = (available: number, reserved: number) =>
    query(
      inventory,
      `INSERT INTO inventory_items (product_id, product_name, available_quantity, reserved_quantity, unit_price, updated_at)
       VALUES ($1, 'Widget', $2, $3, 9.99, now())`,
      [`p-${available}-${reserved}`, available, reserved],
    );
  await expect(insert(-1, 0)).rejects.toMatchObject({ code: '23514' });
  await expect(insert(5, -1)).rejects.toMatchObject({ code: '23514' });
  await insert(5, 0);

  const reserve = (quantity: number) =>
    query(
      inventory,
      `INSERT INTO inventory_reservations (order_id, product_id, quantity, updated_at) VALUES ('o-1', 'p-5-0', $1, now())`,
      [quantity],
    );
  await expect(reserve(0)).rejects.toMatchObject({ code: '23514' });
  await reserve(2);
  // A retried reserve for the same order and product cannot add a second row.
  await expect(reserve(2)).rejects.toMatchObject({ code: '23505' });
});

test('money columns are numeric(12,2) and optimistic version columns default to 0', async () => {
  const columns = await query<{
    table_name: string;
    column_name: string;
    data_type: string;
    precision: number;
    scale: number;
  }>(
    scratch.url(ordersContext),
    `SELECT table_name, column_name, data_type, numeric_precision AS precision, numeric_scale AS scale
       FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name IN ('total_amount', 'unit_price', 'line_total', 'amount')`,
  );
  expect(columns).toHaveLength(4);
  for (const column of columns)
    expect(column).toMatchObject({ data_type: 'numeric', precision: 12, scale: 2 });

  const versions = await query<{ table_name: string; column_default: string }>(
    scratch.url(ordersContext),
    `SELECT table_name, column_default FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'version' ORDER BY table_name`,
  );
  expect(versions).toEqual([
    { table_name: 'orders', column_default: '0' },
    { table_name: 'payments', column_default: '0' },
  ]);
});
