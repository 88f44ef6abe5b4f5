import type { KafkaMessage } from 'kafkajs';
import { PermanentError } from './retry';

/** A Debezium change event as the JSON converter (schemas off) writes it. */
export interface ChangeEvent<Row> {
  op: 'c' | 'u' | 'd' | 'r' | 't';
  before: Row | null;
  after: Row | null;
  source: { db: string; table: string; lsn?: number; txId?: number; ts_ms: number };
  ts_ms: number;
}

/** Parses a change event; a tombstone (null value) yields undefined, garbage is a permanent error. */
export function parseChangeEvent<Row>(message: KafkaMessage): ChangeEvent<Row> | undefined {
  if (!message.value) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString());
  } catch {
    throw new PermanentError('message is not JSON');
  }
  const event = parsed as Partial<ChangeEvent<Row>>;
  if (typeof event !== 'object' || event === null || typeof event.op !== 'string' || !event.source) {
    throw new PermanentError('message is not a Debezium change event');
  }
  return event as ChangeEvent<Row>;
}
