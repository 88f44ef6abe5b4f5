import type { KafkaMessage } from 'kafkajs';

/**
 * When the change in a Debezium envelope was committed in its source database (`source.ts_ms`),
 * in ms since the epoch; undefined for anything else (outbox events, tombstones, our own topics).
 * With the JSON converter's schemas on, the envelope sits under `payload`.
 */
export function sourceCommitMs(message: KafkaMessage): number | undefined {
  const text = message.value?.toString();
  if (!text || !text.includes('"ts_ms"')) return undefined;
  try {
    const parsed = JSON.parse(text) as {
      source?: { ts_ms?: unknown };
      payload?: { source?: { ts_ms?: unknown } };
    };
    const ts = (parsed.payload?.source ?? parsed.source)?.ts_ms;
    return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined;
  } catch {
    return undefined;
  }
}
