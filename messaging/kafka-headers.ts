import type { IHeaders } from 'kafkajs';

/**
 * A header's value as a string (the first, if repeated). Debezium writes a NULL column (e.g. an
 * event without traceparent) as a header whose value is null, which kafkajs hands over as `null`
 * despite its IHeaders type: that reads as an absent header.
 */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name] as IHeaders[string] | null;
  if (value === undefined || value === null) return undefined;
  const first = (Array.isArray(value) ? value[0] : value) as Buffer | string | null | undefined;
  return first === undefined || first === null ? undefined : first.toString();
}
