import type { z } from 'zod';
import { badRequest, type FieldError } from './errors';

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Parses with a zod schema; a failure becomes a 400 naming each field, its value and the reason.
 * An issue with the input as a whole is reported under `rootField` (default: `what`).
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  rootField = what,
): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fieldName = (path: PropertyKey[]) => path.map(String).join('.') || rootField;
  const validationErrors: FieldError[] = result.error.issues.flatMap((issue) =>
    // An unknown key is reported as its own field, not as its parent object.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: fieldName([...issue.path, key]),
          rejectedValue: valueAt(input, [...issue.path, key]),
          message: 'unknown field',
        }))
      : [{ field: fieldName(issue.path), rejectedValue: valueAt(input, issue.path), message: issue.message }],
  );
  throw badRequest(`invalid ${what}`, validationErrors);
}
