import type { CompatibilityIssue } from './compatibility-issues';
import type { EventSchemaFile, JsonSchema } from './registry';
import { SchemaComparison } from './schema-comparison';

/**
 * Compatibility between consecutive versions of an event's payload schema: what counts as
 * breaking is listed in ./compatibility-issues.ts, the walk is ./schema-comparison.ts, the rules on
 * single keywords ./schema-keywords.ts.
 */
export { formatIssues, type CompatibilityIssue, type IssueKind } from './compatibility-issues';

/** The breaking differences from `older` to `newer`; empty when `newer` is a compatible successor. */
export function compatibilityIssues(older: JsonSchema, newer: JsonSchema): CompatibilityIssue[] {
  const comparison = new SchemaComparison(older, newer);
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
