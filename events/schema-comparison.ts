import type { CompatibilityIssue, IssueKind } from './compatibility-issues';
import type { JsonSchema } from './registry';
import { compareConstraints, compareEnums, compareTypes, compareUnsupported } from './schema-keywords';

/*
 * Walks two versions of a schema side by side: local `$ref`s, object properties, required lists,
 * additionalProperties, propertyNames and array items. The rules on each node's own keywords are in
 * ./schema-keywords.ts.
 */

export type Schema = JsonSchema | boolean;

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const join = (path: string, segment: string) => (path === '/' ? `/${segment}` : `${path}/${segment}`);

export class SchemaComparison {
  readonly issues: CompatibilityIssue[] = [];
  private readonly visiting = new Set<string>();
  private readonly report = (kind: IssueKind, path: string, message: string) => {
    this.issues.push({ kind, path, message });
  };

  constructor(
    private readonly olderRoot: JsonSchema,
    private readonly newerRoot: JsonSchema,
  ) {}

  /** Follows a local `$ref` (`#/$defs/x`, `#/definitions/x`, any JSON pointer into the same file). */
  private resolve(schema: Schema, root: JsonSchema, path: string, seen = new Set<string>()): Schema {
    if (!isObject(schema) || typeof schema.$ref !== 'string') return schema;
    const ref = schema.$ref;
    if (!ref.startsWith('#') || seen.has(ref)) {
      this.report('unsupported', path, `cannot follow $ref ${ref}`);
      return true;
    }
    seen.add(ref);
    let target: unknown = root;
    for (const raw of ref.slice(1).split('/').filter(Boolean)) {
      const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = isObject(target) ? target[segment] : undefined;
    }
    if (!isObject(target) && typeof target !== 'boolean') {
      this.report('unsupported', path, `$ref ${ref} points nowhere`);
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
      this.report('type-changed', path, 'no value is accepted any more');
      return;
    }
    const o: JsonSchema = older === true ? {} : older;
    const n: JsonSchema = newer === true ? {} : newer;

    const key = `${path}\u0000${JSON.stringify(o)}\u0000${JSON.stringify(n)}`;
    if (this.visiting.has(key)) return;
    this.visiting.add(key);

    compareUnsupported(o, n, path, this.report);
    compareTypes(o, n, path, this.report);
    compareEnums(o, n, path, this.report);
    compareConstraints(o, n, path, this.report);
    this.compareObjects(o, n, path);
    this.compareArrays(o, n, path);
    this.visiting.delete(key);
  }

  private compareObjects(o: JsonSchema, n: JsonSchema, path: string) {
    const olderProps = isObject(o.properties) ? o.properties : {};
    const newerProps = isObject(n.properties) ? n.properties : {};
    for (const [name, schema] of Object.entries(olderProps)) {
      if (!(name in newerProps)) {
        this.report('removed-property', join(path, name), `property ${name} was removed`);
        continue;
      }
      this.compare(schema as Schema, newerProps[name] as Schema, join(path, name));
    }

    const olderRequired = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
    const newerRequired = new Set(Array.isArray(n.required) ? (n.required as string[]) : []);
    for (const name of newerRequired) {
      if (!olderRequired.has(name)) {
        this.report('new-required', join(path, name), `property ${name} is now required`);
      }
    }
    for (const name of olderRequired) {
      if (!newerRequired.has(name) && name in newerProps) {
        this.report('no-longer-required', join(path, name), `property ${name} is no longer required`);
      }
    }

    const before = o.additionalProperties;
    const after = n.additionalProperties;
    const open = (value: unknown) => value === undefined || value === true;
    if (after === false && before !== false) {
      this.report('closed', path, 'additionalProperties became false');
    } else if (isObject(after) && open(before)) {
      this.report('closed', path, 'additionalProperties became restricted');
    } else if (isObject(before) && isObject(after)) {
      this.compare(before, after, join(path, '*'));
    } else if (isObject(before) && open(after)) {
      this.report('type-changed', join(path, '*'), 'additionalProperties lost its schema');
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
