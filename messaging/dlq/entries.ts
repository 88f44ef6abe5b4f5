import type { IHeaders, KafkaMessage } from 'kafkajs';
import { headerText } from '../kafka-headers';
import { DLQ_HEADERS, originalTopicOf } from './topics';

const VALUE_PREVIEW_CHARS = 500;

export interface DlqEntry {
  dlqTopic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The value as UTF-8 text, cut at 500 characters; null for a tombstone. */
  valuePreview: string | null;
  valueBytes: number;
  error: string | null;
  originalTopic: string;
  originalPartition: number | null;
  originalOffset: string | null;
  attempts: number | null;
  consumer: string | null;
  failedAt: string | null;
  /** The message's own headers (those it had on the original topic). */
  headers: Record<string, string>;
}

/** A header as text, null when absent (or null-valued: Debezium's NULL column). */
const headerOrNull = (headers: IHeaders | undefined, name: string): string | null =>
  headerText(headers, name) ?? null;

const DLQ_HEADER_PREFIX = 'dlq-';

/**
 * The headers the message had before it was dead-lettered (every `dlq-*` header removed). A header
 * whose value is null (Debezium writes a NULL column so) is left out: kafkajs cannot send one, and
 * consumers read an absent header the same way (consumers/runtime/outbox-event.ts).
 */
export function originalHeaders(headers: IHeaders | undefined): IHeaders {
  return Object.fromEntries(
    Object.entries(headers ?? {}).filter(
      ([name, value]) =>
        !name.startsWith(DLQ_HEADER_PREFIX) && value !== undefined && (value as unknown) !== null,
    ),
  );
}

export function describeDlqMessage(dlqTopic: string, partition: number, message: KafkaMessage): DlqEntry {
  const original = originalHeaders(message.headers);
  const originalPartition = headerOrNull(message.headers, DLQ_HEADERS.partition);
  const attempts = headerOrNull(message.headers, DLQ_HEADERS.attempts);
  const text = message.value?.toString('utf8') ?? null;
  return {
    dlqTopic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    valuePreview:
      text === null
        ? null
        : text.length > VALUE_PREVIEW_CHARS
          ? `${text.slice(0, VALUE_PREVIEW_CHARS)}…`
          : text,
    valueBytes: message.value?.length ?? 0,
    error: headerOrNull(message.headers, DLQ_HEADERS.error),
    originalTopic: headerOrNull(message.headers, DLQ_HEADERS.originalTopic) ?? originalTopicOf(dlqTopic),
    originalPartition: originalPartition === null ? null : Number(originalPartition),
    originalOffset: headerOrNull(message.headers, DLQ_HEADERS.offset),
    attempts: attempts === null ? null : Number(attempts),
    consumer: headerOrNull(message.headers, DLQ_HEADERS.consumer),
    failedAt: headerOrNull(message.headers, DLQ_HEADERS.failedAt),
    headers: Object.fromEntries(
      Object.keys(original).map((name) => [name, headerText(original, name) ?? '']),
    ),
  };
}
