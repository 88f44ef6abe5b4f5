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
  const schema = z.object({
    page: z.coerce.number().int().min(0).max(1_000_000).default(0),
    size: z.coerce.number().int().min(1).max(100).default(20),
    sort: z
      .string()
      .default(defaultSort)
      .refine(
        (value) => {
          const [field, direction = 'asc'] = value.split(',');
          return sortFields.includes(field as F) && ['asc', 'desc'].includes(direction.toLowerCase());
        },
        { message: `must be <field>[,asc|desc] with field one of ${sortFields.join(', ')}` },
      ),
  });
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
