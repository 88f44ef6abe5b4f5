import { z } from 'zod';
import { badRequest } from './errors';
import { parseOrThrow } from './validation';

export interface PageRequest<F extends string> {
  page: number;
  size: number;
  sortField: F;
  sortDirection: 'asc' | 'desc';
}

export interface Page<T> {
  content: T[];
  totalElements: number;
  totalPages: number;
  number: number;
  size: number;
  first: boolean;
  last: boolean;
}

/**
 * A whole number in a query string: only plain digits are read as a number ("", "1e3", " 7" and
 * "0x10" are refused, where Number() would have taken them), so the schema says exactly what is accepted.
 */
export const queryInteger = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value),
    z.int({ error: 'must be a whole number' }).min(min).max(max),
  );

/** The paging query (`?page=0&size=20&sort=createdAt,desc`), limited to known sort fields. */
export function pageQuerySchema<F extends string>(
  sortFields: readonly [F, ...F[]],
  defaultSort: `${F},${'asc' | 'desc'}`,
) {
  return z.object({
    page: queryInteger(0, 1_000_000).default(0),
    size: queryInteger(1, 100).default(20),
    sort: z
      .string()
      .regex(
        new RegExp(`^(${sortFields.join('|')})(,([aA][sS][cC]|[dD][eE][sS][cC]))?$`),
        `must be <field>[,asc|desc] with field one of ${sortFields.join(', ')}`,
      )
      .default(defaultSort),
  });
}

/**
 * How deep an offset page may reach: OFFSET makes the database read and discard every row before
 * the page, so `page=1000000` would be a cheap request with an expensive answer. Deeper than this
 * a caller narrows the filter or changes the sort.
 */
export const MAX_PAGE_OFFSET = 10_000;

/** A 400 naming `page` when the page ends beyond MAX_PAGE_OFFSET rows. */
export function assertPageDepth(request: { page: number; size: number }): void {
  if ((request.page + 1) * request.size <= MAX_PAGE_OFFSET) return;
  throw badRequest('invalid query', [
    {
      field: 'page',
      rejectedValue: request.page,
      message: `(page + 1) * size must be at most ${MAX_PAGE_OFFSET}: narrow the filter or change the sort`,
    },
  ]);
}

/** Spring-style paging (`?page=0&size=20&sort=createdAt,desc`), limited to known sort fields. */
export function parsePageRequest<F extends string>(
  query: unknown,
  sortFields: readonly [F, ...F[]],
  defaultSort: `${F},${'asc' | 'desc'}`,
): PageRequest<F> {
  const schema = pageQuerySchema(sortFields, defaultSort);
  const parsed = parseOrThrow(schema, query, 'query');
  assertPageDepth(parsed);
  const [field, direction = 'asc'] = parsed.sort.split(',');
  return {
    page: parsed.page,
    size: parsed.size,
    sortField: field as F,
    sortDirection: direction.toLowerCase() as 'asc' | 'desc',
  };
}

export function toPage<T>(
  content: T[],
  totalElements: number,
  request: { page: number; size: number },
): Page<T> {
  const totalPages = Math.ceil(totalElements / request.size);
  return {
    content,
    totalElements,
    totalPages,
    number: request.page,
    size: request.size,
    first: request.page === 0,
    last: request.page >= totalPages - 1,
  };
}
