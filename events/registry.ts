import fs from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { EventType } from '../domain/events';
import type { EventPayloads } from './payloads';

/**
 * The versioned JSON Schemas of the outbox event payloads: `schemas/<EVENT_TYPE>.v<N>.json`, one file
 * per event type and payload version (the `schema_version` column, the `schemaVersion` header).
 * See ./README.md for how a payload change gets a new version.
 */
export const SCHEMAS_DIR = path.join(__dirname, 'schemas');

const FILE_NAME = /^([A-Z][A-Z0-9_]*)\.v([1-9][0-9]*)\.json$/;

export type JsonSchema = { [keyword: string]: unknown };

export interface EventSchemaFile {
  type: string;
  version: number;
  file: string;
  schema: JsonSchema;
}

export type ValidationResult = { valid: true } | { valid: false; errors: string[] };

/** Every schema file in `dir`, sorted by type then version; a misnamed .json file is an error. */
export function loadSchemaFiles(dir: string = SCHEMAS_DIR): EventSchemaFile[] {
  const files: EventSchemaFile[] = [];
  for (const entry of fs.readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const match = FILE_NAME.exec(entry);
    if (!match) throw new Error(`${entry}: an event schema file is named <EVENT_TYPE>.v<N>.json`);
    const schema = JSON.parse(fs.readFileSync(path.join(dir, entry), 'utf8')) as unknown;
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new Error(`${entry}: a JSON Schema is an object`);
    }
    files.push({ type: match[1]!, version: Number(match[2]), file: entry, schema: schema as JsonSchema });
  }
  return files.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.version - b.version));
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(payload)' : error.instancePath;
  const extra =
    error.keyword === 'additionalProperties' || error.keyword === 'enum'
      ? ` ${JSON.stringify(error.params)}`
      : '';
  return `${where} ${error.message ?? error.keyword}${extra}`;
}

/** Compiled validators for a set of schema files. */
export class EventSchemaRegistry {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly byType = new Map<string, EventSchemaFile[]>();

  constructor(readonly files: readonly EventSchemaFile[]) {
    // allowUnionTypes: nullable fields are written `"type": ["string", "null"]`.
    this.ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(this.ajv);
    for (const file of files) {
      const key = `${file.type}.v${file.version}`;
      if (this.validators.has(key)) throw new Error(`two schemas for ${key}`);
      try {
        this.validators.set(key, this.ajv.compile(file.schema));
      } catch (error) {
        throw new Error(`${file.file}: ${(error as Error).message}`);
      }
      this.byType.set(file.type, [...(this.byType.get(file.type) ?? []), file]);
    }
  }

  /** The event types with at least one schema. */
  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  schema(type: string, version: number): JsonSchema | undefined {
    return this.byType.get(type)?.find((file) => file.version === version)?.schema;
  }

  has(type: string, version: number): boolean {
    return this.validators.has(`${type}.v${version}`);
  }

  /** Checks a payload against the schema of its type and version; no such schema is a failure. */
  validate(type: string, schemaVersion: number, payload: unknown): ValidationResult {
    const validator = this.validators.get(`${type}.v${schemaVersion}`);
    if (!validator) return { valid: false, errors: [`no schema for ${type} v${schemaVersion}`] };
    if (validator(payload)) return { valid: true };
    return { valid: false, errors: (validator.errors ?? []).map(describe) };
  }
}

let committed: EventSchemaRegistry | undefined;

/** The registry of the committed schemas (events/schemas), compiled on first use. */
export function eventSchemaRegistry(): EventSchemaRegistry {
  committed ??= new EventSchemaRegistry(loadSchemaFiles());
  return committed;
}

/** Validates an outbox payload against the committed schema for its type and schema version. */
export function validateEvent(type: string, schemaVersion: number, payload: unknown): ValidationResult {
  return eventSchemaRegistry().validate(type, schemaVersion, payload);
}

/** A payload that does not match the committed schema of its type and version; names each field. */
export class EventPayloadError extends Error {
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    readonly errors: readonly string[],
  ) {
    super(`${eventType} v${schemaVersion} payload does not match its schema: ${errors.join('; ')}`);
    this.name = 'EventPayloadError';
  }
}

/**
 * The payload as its type's definition (./payloads.ts), once it validated against the committed
 * schema of its type and version (compiled once per process); otherwise an EventPayloadError.
 */
export function parseEventPayload<T extends EventType>(
  type: T,
  schemaVersion: number,
  payload: unknown,
): EventPayloads[T] {
  const result = validateEvent(type, schemaVersion, payload);
  if (!result.valid) throw new EventPayloadError(type, schemaVersion, result.errors);
  return payload as EventPayloads[T];
}
