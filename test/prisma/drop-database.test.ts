import crypto from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, inventoryContext, ordersContext } from '../../prisma/contexts';
import { parsePgUrl, quoteIdent, withDatabase } from '../../prisma/engine/datasource';
import { dropDatabase } from '../../prisma/engine/drop-database';
import { onServer } from './scratch-databases';

jest.setTimeout(60_000);

const owner = parsePgUrl(databaseUrl(ordersContext));
const stranger = parsePgUrl(databaseUrl(inventoryContext));

const onOwnersServer = (sql: string) => onServer(owner.connectionString, sql);

async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ connectionString: withDatabase(owner, 'postgres').connectionString });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

/** A database owned by the orders role with a live session of another role in it: what an autovacuum worker looks like to DROP ... WITH (FORCE). */
async function databaseWithStrangerSession(): Promise<{ name: string; stranger: Client }> {
  const name = `${owner.database}_t_drop_${crypto.randomBytes(3).toString('hex')}`;
  await onOwnersServer(`CREATE DATABASE ${quoteIdent(name)}`);
  const session = new Client({ connectionString: withDatabase(stranger, name).connectionString });
  session.on('error', () => undefined);
  await session.connect();
  return { name, stranger: session };
}

test('FORCE alone is refused while another role is connected (the failure this guards against)', async () => {
  const { name, stranger: session } = await databaseWithStrangerSession();
  try {
    await expect(onOwnersServer(`DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`)).rejects.toMatchObject({
      code: '42501',
    });
  } finally {
    await session.end();
    await dropDatabase(onOwnersServer, name);
  }
  expect(await databaseExists(name)).toBe(false);
});

test('drops the database once the foreign session goes away, instead of failing at once', async () => {
  const { name, stranger: session } = await databaseWithStrangerSession();
  const leaving = new Promise<void>((resolve) => setTimeout(resolve, 400)).then(() => session.end());
  await dropDatabase(onOwnersServer, name);
  await leaving;
  expect(await databaseExists(name)).toBe(false);
});

test('gives up with the server error when the foreign session never leaves', async () => {
  const { name, stranger: session } = await databaseWithStrangerSession();
  try {
    await expect(dropDatabase(onOwnersServer, name, 2)).rejects.toMatchObject({ code: '55006' });
    expect(await databaseExists(name)).toBe(true);
  } finally {
    await session.end();
    await dropDatabase(onOwnersServer, name);
  }
});

test('a database that is already gone is fine', async () => {
  await expect(dropDatabase(onOwnersServer, `${owner.database}_t_never_created`)).resolves.toBeUndefined();
});
