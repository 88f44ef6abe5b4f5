/**
 * What the compatibility check reports (./compatibility.ts).
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

/** Records an issue found at `path`. */
export type ReportIssue = (kind: IssueKind, path: string, message: string) => void;

export function formatIssues(issues: readonly CompatibilityIssue[]): string {
  return issues.map((issue) => `${issue.kind} at ${issue.path}: ${issue.message}`).join('\n');
}
