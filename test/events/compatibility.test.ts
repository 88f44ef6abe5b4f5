/**
 * events/compatibility.ts: the committed schema history is compatible version to version, and each
 * kind of breaking change, made to a real committed schema, is caught.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkSchemaHistory,
  compatibilityIssues,
  formatIssues,
  isCompatible,
  type IssueKind,
} from '../../events/compatibility';
import { eventSchemaRegistry, loadSchemaFiles, type JsonSchema } from '../../events/registry';

const committed = (type: string, version = 1): JsonSchema => {
  const schema = eventSchemaRegistry().schema(type, version);
  if (!schema) throw new Error(`no committed schema ${type} v${version}`);
  return structuredClone(schema);
};

type Props = Record<string, JsonSchema>;
const props = (schema: JsonSchema, ...at: string[]): Props => {
  let node: JsonSchema = schema;
  for (const step of at) node = node[step] as JsonSchema;
  return node.properties as Props;
};
const required = (schema: JsonSchema) => schema.required as string[];
const kinds = (older: JsonSchema, newer: JsonSchema): IssueKind[] =>
  compatibilityIssues(older, newer).map((issue) => issue.kind);

describe('the committed schema history', () => {
  it('is compatible from each version to the next, without version gaps', () => {
    const steps = checkSchemaHistory(loadSchemaFiles());
    const broken = steps.filter((step) => step.issues.length > 0);
    expect(
      broken.map((step) => `${step.type} v${step.from}->v${step.to}\n${formatIssues(step.issues)}`),
    ).toEqual([]);
    // Every consecutive pair on disk was checked.
    const pairs = loadSchemaFiles().length - eventSchemaRegistry().types().length;
    expect(steps).toHaveLength(pairs);
  });

  it('finds every schema identical to itself', () => {
    for (const file of loadSchemaFiles()) expect(compatibilityIssues(file.schema, file.schema)).toEqual([]);
  });
});

describe('breaking changes are detected', () => {
  const base = committed('ORDER_CREATED');

  it('a removed property', () => {
    const next = committed('ORDER_CREATED');
    delete props(next).customerId;
    next.required = required(next).filter((name) => name !== 'customerId');
    const issues = compatibilityIssues(base, next);
    expect(issues).toContainEqual(expect.objectContaining({ kind: 'removed-property', path: '/customerId' }));
  });

  it('a removed optional property', () => {
    const older = committed('ORDER_CANCELLED');
    const next = committed('ORDER_CANCELLED');
    delete props(next).reason;
    expect(kinds(older, next)).toEqual(['removed-property']);
  });

  it('a type change, also nested in array items and behind a $ref', () => {
    const next = committed('ORDER_CREATED');
    props(next).totalAmount = { type: 'number' };
    expect(compatibilityIssues(base, next)).toContainEqual(
      expect.objectContaining({ kind: 'type-changed', path: '/totalAmount' }),
    );

    const nested = committed('ORDER_CREATED');
    props(nested, 'properties', 'items', 'items').quantity = { type: 'string' };
    expect(compatibilityIssues(base, nested)).toContainEqual(
      expect.objectContaining({ kind: 'type-changed', path: '/items/[]/quantity' }),
    );

    const olderItem = committed('INVENTORY_ITEM_UPDATED');
    const viaRef = committed('INVENTORY_ITEM_UPDATED');
    props(viaRef, '$defs', 'item').version = { type: 'string' };
    expect(compatibilityIssues(olderItem, viaRef)).toContainEqual(
      expect.objectContaining({ kind: 'type-changed', path: '/item/version' }),
    );
  });

  it('a type made nullable, or no longer nullable', () => {
    const older = committed('PAYMENT_CAPTURED');
    const notNull = committed('PAYMENT_CAPTURED');
    props(notNull).providerReference = { type: 'string' };
    expect(kinds(older, notNull)).toEqual(['type-changed']);
    expect(kinds(notNull, older)).toEqual(['type-changed']);
  });

  it('a new required property, and an optional property made required', () => {
    const next = committed('ORDER_CREATED');
    props(next).channel = { type: 'string' };
    next.required = [...required(next), 'channel'];
    expect(compatibilityIssues(base, next)).toEqual([
      expect.objectContaining({ kind: 'new-required', path: '/channel' }),
    ]);

    const older = committed('ORDER_CANCELLED');
    const reasonRequired = committed('ORDER_CANCELLED');
    reasonRequired.required = [...required(reasonRequired), 'reason'];
    expect(kinds(older, reasonRequired)).toEqual(['new-required']);
  });

  it('a narrowed enum (a value dropped, a const, an enum where there was none)', () => {
    const older = committed('ORDER_CANCELLED');
    const next = committed('ORDER_CANCELLED');
    props(next).reason = {
      enum: (props(older).reason!.enum as string[]).filter((r) => r !== 'SYSTEM_ERROR'),
    };
    const issues = compatibilityIssues(older, next);
    expect(issues).toEqual([expect.objectContaining({ kind: 'enum-narrowed', path: '/reason' })]);
    expect(issues[0]!.message).toContain('SYSTEM_ERROR');

    const nullDropped = committed('PAYMENT_AUTHORIZED');
    props(nullDropped).previousStatus = {
      enum: ['AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED', 'DECLINED'],
    };
    expect(kinds(committed('PAYMENT_AUTHORIZED'), nullDropped)).toContain('enum-narrowed');

    const constant = committed('ORDER_CREATED');
    props(constant).currency = { ...props(constant).currency, const: 'USD' };
    expect(kinds(base, constant)).toEqual(['enum-narrowed']);
  });

  it('a closed object, a stricter pattern or bound, and keywords it cannot reason about', () => {
    const closed = committed('ORDER_CREATED');
    closed.additionalProperties = false;
    expect(kinds(base, closed)).toEqual(['closed']);

    const stricter = committed('ORDER_CREATED');
    props(stricter).totalAmount = { ...props(stricter).totalAmount, pattern: '^[0-9]+\\.[0-9]{2}$' };
    props(stricter).version = { type: 'integer', minimum: 1 };
    expect(kinds(base, stricter)).toEqual(['constraint-tightened', 'constraint-tightened']);

    const union = committed('ORDER_CREATED');
    props(union).customerId = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
    expect(kinds(base, union)).toContain('unsupported');
  });

  it('a version gap in the files on disk', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trackops-schemas-'));
    try {
      const write = (name: string, schema: JsonSchema) =>
        fs.writeFileSync(path.join(dir, name), JSON.stringify(schema));
      write('ORDER_CREATED.v1.json', base);
      write('ORDER_CREATED.v3.json', base);
      const steps = checkSchemaHistory(loadSchemaFiles(dir));
      expect(steps.flatMap((step) => step.issues.map((issue) => issue.kind))).toEqual(['version-gap']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compatible changes pass', () => {
  const base = committed('ORDER_CREATED');

  it('a new optional property, at the top and inside array items', () => {
    const next = committed('ORDER_CREATED');
    props(next).channel = { type: 'string', enum: ['web', 'phone'] };
    props(next, 'properties', 'items', 'items').discount = { type: 'string' };
    expect(compatibilityIssues(base, next)).toEqual([]);
    expect(isCompatible(base, next)).toBe(true);
  });

  it('a widened enum, a looser bound, new descriptions', () => {
    const next = committed('ORDER_CREATED');
    props(next).status = { enum: ['PENDING', 'AWAITING_PAYMENT'], description: 'more to come' };
    props(next, 'properties', 'items', 'items').quantity = { type: 'integer', minimum: 0 };
    next.description = 'reworded';
    expect(compatibilityIssues(base, next)).toEqual([]);
  });

  it('a v2 on disk that only adds an optional field passes the history check', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trackops-schemas-'));
    try {
      const v2 = committed('ORDER_CREATED');
      v2.$id = 'urn:trackops:event:ORDER_CREATED:v2';
      props(v2).channel = { type: 'string' };
      fs.writeFileSync(path.join(dir, 'ORDER_CREATED.v1.json'), JSON.stringify(base));
      fs.writeFileSync(path.join(dir, 'ORDER_CREATED.v2.json'), JSON.stringify(v2));
      expect(checkSchemaHistory(loadSchemaFiles(dir))).toEqual([
        { type: 'ORDER_CREATED', from: 1, to: 2, issues: [] },
      ]);

      // ...and one that also drops a field fails it.
      delete props(v2).version;
      v2.required = required(v2).filter((name) => name !== 'version');
      fs.writeFileSync(path.join(dir, 'ORDER_CREATED.v2.json'), JSON.stringify(v2));
      const [step] = checkSchemaHistory(loadSchemaFiles(dir));
      expect(step!.issues.map((issue) => issue.kind)).toEqual(['removed-property']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
