/**
 * Event payloads that a single SQL statement builds from the rows it changes (values only the
 * statement knows: the previous status, the new version). Each key is named here against the
 * payload's type in events/payloads.ts, so the compiler holds the statement to the one payload
 * definition that consumers validate against: a missing, misspelt or extra key does not compile.
 */
import { join, raw, sqltag as sql, type Sql } from '@prisma/client/runtime/client';

export { sql };

/** One SQL expression per payload key; optional keys may be left out (and are then absent). */
export type PayloadColumns<T> = { [K in keyof T]: Sql };

/** `jsonb_build_object('key', <expression>, ...)` over the payload's keys. */
export function jsonbPayload<T>(columns: PayloadColumns<T>): Sql {
  const pairs = Object.entries(columns as Record<string, Sql | undefined>)
    .filter((entry): entry is [string, Sql] => entry[1] !== undefined)
    .map(([key, expression]) => sql`${key}::text, ${expression}`);
  return sql`jsonb_build_object(${join(pairs, ', ')})`;
}

/** A raw SQL expression (a column of the statement, a cast), never a value from outside. */
export const column = (expression: string): Sql => raw(expression);
