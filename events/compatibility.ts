import { isDeepStrictEqual } from 'node:util';
import type { EventSchemaFile, JsonSchema } from './registry';

/**
 * Compatibility rules between two consecutive versions of an event's payload schema.
 *
 * A topic holds both versions for a while (old events stay until retention, the outbox is
 * replayed by a fresh connector, producers and consumers deploy one at a time), so a change is
 * compatible only when it works in both directions: a consumer written for vN accepts vN+1
 * payloads, and a consumer written for vN+1 accepts the vN events still on the topic. Allowed:
 * adding an optional property, widening an enum, loosening a bound. Breaking:
 *
 * - `removed-property`: a property of vN is gone from vN+1 (vN consumers read it);
 * - `type-changed`: a property's JSON type set differs (any change: narrowing breaks replay,
 *   widening breaks vN consumers);
 * - `new-required`: vN+1 requires a property vN did not (vN events lack it);
 * - `no-longer-required`: vN+1 may omit a property vN always had (vN consumers rely on it);
 * - `enum-narrowed`: a value vN allowed is no longer allowed (vN events carry it);
 * - `closed`: `additionalProperties` turned false or restrictive (no room for future fields);
 * - `constraint-tightened`: a stricter pattern, format, length, bound or item count;
 * - `unsupported`: a keyword this checker cannot reason about (oneOf, allOf, remote $ref, ...):
 *   it refuses rather than guesses.
 */
export type IssueKind =
  | 'removed-property'
  | 'type-changed'
  | 'new-required'
  | 'no-longer-required'
  | 'enum-narrowed'
  | 'closed'
  | 'constraint-tightened'
  | 'unsupported'
  | 'version-gap';

export interface CompatibilityIssue {
  kind: IssueKind;
  /** Where in the payload: `/items/[]/quantity`; `/` for the payload itself. */
  path: string;
  message: string;
}

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

type Schema = JsonSchema | boolean;

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const join = (path: string, segment: string) => (path === '/' ? `/${segment}` : `${path}/${segment}`);

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

class Comparison {
  readonly issues: CompatibilityIssue[] = [];
  private readonly visiting = new Set<string>();

  constructor(
    private readonly olderRoot: JsonSchema,
    private readonly newerRoot: JsonSchema,
  ) {}

  private issue(kind: IssueKind, path: string, message: string) {
    this.issues.push({ kind, path, message });
  }

  /** Follows a local `$ref` (`#/$defs/x`, `#/definitions/x`, any JSON pointer into the same file). */
  private resolve(schema: Schema, root: JsonSchema, path: string, seen = new Set<string>()): Schema {
    if (!isObject(schema) || typeof schema.$ref !== 'string') return schema;
    const ref = schema.$ref;
    if (!ref.startsWith('#') || seen.has(ref)) {
      this.issue('unsupported', path, `cannot follow $ref ${ref}`);
      return true;
    }
    seen.add(ref);
    let target: unknown = root;
    for (const raw of ref.slice(1).split('/').filter(Boolean)) {
      const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = isObject(target) ? target[segment] : undefined;
    }
    if (!isObject(target) && typeof target !== 'boolean') {
      this.issue('unsupported', path, `$ref ${ref} points nowhere`);
      return true;
    }
    const { $ref: _ref, ...siblings } = schema;
    const resolved = this.resolve(target, root, path, seen);
    // 2020-12 allows keywords next to $ref; they apply as well. Annotations only in our schemas.
    return isObject(resolved) ? { ...resolved, ...siblings } : resolved;
  }

  compare(olderIn: Schema, newerIn: Schema, path: string): void {
    const older = this.resolve(olderIn, this.olderRoot, path);
    const newer = this.resolve(newerIn, this.newerRoot, path);
    if (older === false) return; // nothing was ever valid here
    if (newer === false) {
      this.issue('type-changed', path, 'no value is accepted any more');
      return;
    }
    const o: JsonSchema = older === true ? {} : older;
    const n: JsonSchema = newer === true ? {} : newer;

    const key = `${path}\u0000${JSON.stringify(o)}\u0000${JSON.stringify(n)}`;
    if (this.visiting.has(key)) return;
    this.visiting.add(key);

    for (const keyword of UNSUPPORTED) {
      if (keyword in o || keyword in n) this.issue('unsupported', path, `keyword ${keyword} is not checked`);
    }
    this.compareTypes(o, n, path);
    this.compareEnums(o, n, path);
    this.compareConstraints(o, n, path);
    this.compareObjects(o, n, path);
    this.compareArrays(o, n, path);
    this.visiting.delete(key);
  }

  private declaredTypes(schema: JsonSchema): Set<string> | undefined {
    if (typeof schema.type === 'string') return new Set([schema.type]);
    if (Array.isArray(schema.type)) return new Set(schema.type as string[]);
    return undefined;
  }

  private impliedTypes(schema: JsonSchema): Set<string> | undefined {
    const values = this.enumValues(schema);
    return values ? new Set(values.map(jsonType)) : this.declaredTypes(schema);
  }

  private compareTypes(o: JsonSchema, n: JsonSchema, path: string) {
    // Only an explicit `type` on either side is compared; enum-only schemas are the enum rule's.
    if (this.declaredTypes(o) === undefined && this.declaredTypes(n) === undefined) return;
    const before = this.declaredTypes(o) ?? this.impliedTypes(o);
    const after = this.declaredTypes(n) ?? this.impliedTypes(n);
    const show = (types: Set<string> | undefined) => (types ? [...types].sort().join('|') : 'any');
    const same =
      before !== undefined &&
      after !== undefined &&
      before.size === after.size &&
      [...before].every((type) => after.has(type));
    if (!same) this.issue('type-changed', path, `type ${show(before)} became ${show(after)}`);
  }

  private enumValues(schema: JsonSchema): unknown[] | undefined {
    if (Array.isArray(schema.enum)) return schema.enum as unknown[];
    if ('const' in schema) return [schema.const];
    return undefined;
  }

  private compareEnums(o: JsonSchema, n: JsonSchema, path: string) {
    const after = this.enumValues(n);
    if (after === undefined) return;
    const before = this.enumValues(o);
    if (before === undefined) {
      this.issue('enum-narrowed', path, `now limited to ${JSON.stringify(after)}`);
      return;
    }
    const dropped = before.filter((value) => !after.some((kept) => isDeepStrictEqual(kept, value)));
    if (dropped.length > 0) this.issue('enum-narrowed', path, `no longer allows ${JSON.stringify(dropped)}`);
  }

  private compareConstraints(o: JsonSchema, n: JsonSchema, path: string) {
    for (const keyword of LOWER_BOUNDS) {
      const after = n[keyword];
      if (typeof after !== 'number') continue;
      const before = o[keyword];
      if (typeof before !== 'number' || after > before) {
        this.issue('constraint-tightened', path, `${keyword} ${JSON.stringify(before ?? null)} -> ${after}`);
      }
    }
    for (const keyword of UPPER_BOUNDS) {
      const after = n[keyword];
      if (typeof after !== 'number') continue;
      const before = o[keyword];
      if (typeof before !== 'number' || after < before) {
        this.issue('constraint-tightened', path, `${keyword} ${JSON.stringify(before ?? null)} -> ${after}`);
      }
    }
    for (const keyword of EXACT_CONSTRAINTS) {
      if (keyword in n && !isDeepStrictEqual(o[keyword], n[keyword])) {
        this.issue(
          'constraint-tightened',
          path,
          `${keyword} ${JSON.stringify(o[keyword] ?? null)} -> ${JSON.stringify(n[keyword])}`,
        );
      }
    }
    if (n.uniqueItems === true && o.uniqueItems !== true) {
      this.issue('constraint-tightened', path, 'items must now be unique');
    }
  }

  private compareObjects(o: JsonSchema, n: JsonSchema, path: string) {
    const olderProps = isObject(o.properties) ? o.properties : {};
    const newerProps = isObject(n.properties) ? n.properties : {};
    for (const [name, schema] of Object.entries(olderProps)) {
      if (!(name in newerProps)) {
        this.issue('removed-property', join(path, name), `property ${name} was removed`);
        continue;
      }
      this.compare(schema as Schema, newerProps[name] as Schema, join(path, name));
    }

    const olderRequired = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
    const newerRequired = new Set(Array.isArray(n.required) ? (n.required as string[]) : []);
    for (const name of newerRequired) {
      if (!olderRequired.has(name)) {
        this.issue('new-required', join(path, name), `property ${name} is now required`);
      }
    }
    for (const name of olderRequired) {
      if (!newerRequired.has(name) && name in newerProps) {
        this.issue('no-longer-required', join(path, name), `property ${name} is no longer required`);
      }
    }

    const before = o.additionalProperties;
    const after = n.additionalProperties;
    const open = (value: unknown) => value === undefined || value === true;
    if (after === false && before !== false) {
      this.issue('closed', path, 'additionalProperties became false');
    } else if (isObject(after) && open(before)) {
      this.issue('closed', path, 'additionalProperties became restricted');
    } else if (isObject(before) && isObject(after)) {
      this.compare(before, after, join(path, '*'));
    } else if (isObject(before) && open(after)) {
      this.issue('type-changed', join(path, '*'), 'additionalProperties lost its schema');
    }

    if ('propertyNames' in o || 'propertyNames' in n) {
      this.compare(
        (o.propertyNames ?? true) as Schema,
        (n.propertyNames ?? true) as Schema,
        join(path, '<key>'),
      );
    }
  }

  private compareArrays(o: JsonSchema, n: JsonSchema, path: string) {
    if (!('items' in o) && !('items' in n)) return;
    this.compare((o.items ?? true) as Schema, (n.items ?? true) as Schema, join(path, '[]'));
  }
}

/** The breaking differences from `older` to `newer`; empty when `newer` is a compatible successor. */
export function compatibilityIssues(older: JsonSchema, newer: JsonSchema): CompatibilityIssue[] {
  const comparison = new Comparison(older, newer);
  comparison.compare(older, newer, '/');
  return comparison.issues;
}

export function isCompatible(older: JsonSchema, newer: JsonSchema): boolean {
  return compatibilityIssues(older, newer).length === 0;
}

export interface VersionStep {
  type: string;
  from: number;
  to: number;
  issues: CompatibilityIssue[];
}

/**
 * Checks every event type's history: versions start at 1 without gaps, and each version is a
 * compatible successor of the one before.
 */
export function checkSchemaHistory(files: readonly EventSchemaFile[]): VersionStep[] {
  const byType = new Map<string, EventSchemaFile[]>();
  for (const file of files) byType.set(file.type, [...(byType.get(file.type) ?? []), file]);
  const steps: VersionStep[] = [];
  for (const [type, versions] of [...byType.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sorted = [...versions].sort((a, b) => a.version - b.version);
    sorted.forEach((file, index) => {
      if (file.version !== index + 1) {
        steps.push({
          type,
          from: index,
          to: file.version,
          issues: [
            { kind: 'version-gap', path: '/', message: `${type} v${file.version} without v${index + 1}` },
          ],
        });
      }
    });
    for (let index = 1; index < sorted.length; index++) {
      const older = sorted[index - 1]!;
      const newer = sorted[index]!;
      steps.push({
        type,
        from: older.version,
        to: newer.version,
        issues: compatibilityIssues(older.schema, newer.schema),
      });
    }
  }
  return steps;
}

export function formatIssues(issues: readonly CompatibilityIssue[]): string {
  return issues.map((issue) => `${issue.kind} at ${issue.path}: ${issue.message}`).join('\n');
}
