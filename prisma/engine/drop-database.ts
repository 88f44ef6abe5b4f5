import { quoteIdent } from './datasource';

const INSUFFICIENT_PRIVILEGE = '42501';
const OBJECT_IN_USE = '55006';

const codeOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;

/**
 * Drops a database that may still have sessions. `WITH (FORCE)` refuses when one of them belongs to
 * a role we may not signal, and an autovacuum worker that just started on the new database is such
 * a session; a plain DROP cancels autovacuum itself. So: FORCE first, plain DROP when FORCE is
 * refused, and a short wait between rounds while someone is still connected (each plain DROP
 * itself waits about 5 s for the sessions to end).
 */
export async function dropDatabase(
  run: (sql: string) => Promise<unknown>,
  database: string,
  attempts = 6,
): Promise<void> {
  const name = quoteIdent(database);
  for (let attempt = 1; ; attempt += 1) {
    try {
      await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (forced) {
      if (codeOf(forced) !== INSUFFICIENT_PRIVILEGE) throw forced;
    }
    try {
      await run(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (plain) {
      if (codeOf(plain) !== OBJECT_IN_USE || attempt >= attempts) throw plain;
    }
    await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
  }
}
