import { isDeepStrictEqual } from 'node:util';
import type { ReportIssue } from './compatibility-issues';
import type { JsonSchema } from './registry';

/*
 * The compatibility rules that look at one schema node's own keywords (type, enum / const, bounds
 * and exact constraints, keywords the checker refuses); ./schema-comparison.ts walks the nodes.
 */

const UNSUPPORTED = [
  'oneOf',
  'anyOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'dependentSchemas',
  'dependentRequired',
  'dependencies',
  'prefixItems',
  'contains',
  'unevaluatedProperties',
  'unevaluatedItems',
  '$dynamicRef',
  '$recursiveRef',
];

/** Bounds where a larger value is stricter, and where a smaller one is. */
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
/** Any new or changed value is stricter. */
const EXACT_CONSTRAINTS = ['pattern', 'format', 'multipleOf', 'contentEncoding', 'contentMediaType'];

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function declaredTypes(schema: JsonSchema): Set<string> | undefined {
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type as string[]);
  return undefined;
}

function enumValues(schema: JsonSchema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  if ('const' in schema) return [schema.const];
  return undefined;
}

function impliedTypes(schema: JsonSchema): Set<string> | undefined {
  const values = enumValues(schema);
  return values ? new Set(values.map(jsonType)) : declaredTypes(schema);
}

export function compareUnsupported(o: JsonSchema, n: JsonSchema, path: string, report: ReportIssue) {
  for (const keyword of UNSUPPORTED) {
    if (keyword in o || keyword in n) report('unsupported', path, `keyword ${keyword} is not checked`);
  }
}

export function compareTypes(o: JsonSchema, n: JsonSchema, path: string, report: ReportIssue) {
  // Only an explicit `type` on either side is compared; enum-only schemas are the enum rule's.
  if (declaredTypes(o) === undefined && declaredTypes(n) === undefined) return;
  const before = declaredTypes(o) ?? impliedTypes(o);
  const after = declaredTypes(n) ?? impliedTypes(n);
  const show = (types: Set<string> | undefined) => (types ? [...types].sort().join('|') : 'any');
  const same =
    before !== undefined &&
    after !== undefined &&
    before.size === after.size &&
    [...before].every((type) => after.has(type));
  if (!same) report('type-changed', path, `type ${show(before)} became ${show(after)}`);
}

export function compareEnums(o: JsonSchema, n: JsonSchema, path: string, report: ReportIssue) {
  const after = enumValues(n);
  if (after === undefined) return;
  const before = enumValues(o);
  if (before === undefined) {
    report('enum-narrowed', path, `now limited to ${JSON.stringify(after)}`);
    return;
  }
  const dropped = before.filter((value) => !after.some((kept) => isDeepStrictEqual(kept, value)));
  if (dropped.length > 0) report('enum-narrowed', path, `no longer allows ${JSON.stringify(dropped)}`);
}

export function compareConstraints(o: JsonSchema, n: JsonSchema, path: string, report: ReportIssue) {
  for (const keyword of LOWER_BOUNDS) {
    const after = n[keyword];
    if (typeof after !== 'number') continue;
    const before = o[keyword];
    if (typeof before !== 'number' || after > before) {
      report('constraint-tightened', path, `${keyword} ${JSON.stringify(before ?? null)} -> ${after}`);
    }
  }
  for (const keyword of UPPER_BOUNDS) {
    const after = n[keyword];
    if (typeof after !== 'number') continue;
    const before = o[keyword];
    if (typeof before !== 'number' || after < before) {
      report('constraint-tightened', path, `${keyword} ${JSON.stringify(before ?? null)} -> ${after}`);
    }
  }
  for (const keyword of EXACT_CONSTRAINTS) {
    if (keyword in n && !isDeepStrictEqual(o[keyword], n[keyword])) {
      report(
        'constraint-tightened',
        path,
        `${keyword} ${JSON.stringify(o[keyword] ?? null)} -> ${JSON.stringify(n[keyword])}`,
      );
    }
  }
  if (n.uniqueItems === true && o.uniqueItems !== true) {
    report('constraint-tightened', path, 'items must now be unique');
  }
}
