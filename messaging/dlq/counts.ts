import type { Admin } from 'kafkajs';
import { DLQ_REPLAY_GROUP, listDlqTopics, originalTopicOf } from './topics';

/*
 * "Pending" is defined by one consumer group, DLQ_REPLAY_GROUP: in each partition the messages
 * from max(low watermark, the group's committed offset) up to the end offset are pending; the
 * ones before were replayed (or purged).
 */

export interface DlqPartitionCount {
  partition: number;
  low: string;
  high: string;
  /** The replay group's committed offset, null when it never committed in this partition. */
  committed: string | null;
  /** First pending offset: max(low, committed). */
  start: string;
  pending: number;
  /** Messages still stored (high - low), pending or done. */
  retained: number;
}

export interface DlqTopicCount {
  topic: string;
  originalTopic: string;
  pending: number;
  retained: number;
  partitions: DlqPartitionCount[];
}

export interface DlqOptions {
  /** The consumer group whose committed offsets mark messages done; DLQ_REPLAY_GROUP by default. */
  group?: string;
}

const big = (value: string) => BigInt(value);
const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);

/** Pending and retained messages of one dead-letter topic, per partition. */
export async function countDlq(
  admin: Admin,
  topic: string,
  options: DlqOptions = {},
): Promise<DlqTopicCount> {
  const [offsets, committedByTopic] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: options.group ?? DLQ_REPLAY_GROUP, topics: [topic] }),
  ]);
  const committed = new Map(
    (committedByTopic.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, p.offset]),
  );
  const partitions = offsets
    .map(({ partition, low, high }): DlqPartitionCount => {
      const mark = committed.get(partition);
      const committedOffset = mark !== undefined && big(mark) >= 0n ? mark : null;
      const start = committedOffset === null ? big(low) : maxOf(big(low), big(committedOffset));
      const clampedStart = start > big(high) ? big(high) : start;
      return {
        partition,
        low,
        high,
        committed: committedOffset,
        start: String(clampedStart),
        pending: Number(big(high) - clampedStart),
        retained: Number(big(high) - big(low)),
      };
    })
    .sort((a, b) => a.partition - b.partition);
  return {
    topic,
    originalTopic: originalTopicOf(topic),
    pending: partitions.reduce((sum, p) => sum + p.pending, 0),
    retained: partitions.reduce((sum, p) => sum + p.retained, 0),
    partitions,
  };
}

/** Counts for every dead-letter topic. */
export async function countAllDlqs(admin: Admin, options: DlqOptions = {}): Promise<DlqTopicCount[]> {
  const topics = await listDlqTopics(admin);
  return Promise.all(topics.map((topic) => countDlq(admin, topic, options)));
}
