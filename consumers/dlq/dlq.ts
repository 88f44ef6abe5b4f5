/**
 * Dead-letter topics (`<topic>.dlq`, written by consumers/runtime/dead-letter.ts): counting,
 * reading, replaying and purging them. Shared by `trackops dlq ...` (cli/dlq-command.ts) and
 * `GET /api/dlq` (api/routes/dlq.ts).
 *
 * "Pending" is defined by one consumer group, DLQ_REPLAY_GROUP, that no consumer process joins:
 * in each partition the messages from max(low watermark, the group's committed offset) up to the
 * end offset are pending; the ones before were replayed (or purged). `replay` commits the group's
 * offset after each message it re-published; `purge` deletes the records up to the end offset,
 * which moves the low watermark past them. Kafka expires a group's offsets
 * `offsets.retention.minutes` (7 days by default) after its last commit, after which replayed
 * messages still retained would count as pending again: purge what was replayed before that.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { DLQ_HEADERS, DLQ_SUFFIX, dlqTopicOf } from '../runtime/dead-letter';
import { headerText } from '../runtime/outbox-event';

export const DLQ_REPLAY_GROUP = 'trackops-dlq-replay';
const VALUE_PREVIEW_CHARS = 500;

export const isDlqTopic = (topic: string) => topic.endsWith(DLQ_SUFFIX);
export const originalTopicOf = (dlqTopic: string) => dlqTopic.slice(0, -DLQ_SUFFIX.length);
/** Accepts `trackops.orders.dlq` or `trackops.orders`. */
export const asDlqTopic = (topic: string) => (isDlqTopic(topic) ? topic : dlqTopicOf(topic));

export class UnknownDlqTopicError extends Error {
  constructor(readonly topic: string) {
    super(`no such dead-letter topic: ${topic}`);
    this.name = 'UnknownDlqTopicError';
  }
}

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

/** Every dead-letter topic on the cluster, sorted. */
export async function listDlqTopics(admin: Admin): Promise<string[]> {
  return (await admin.listTopics()).filter(isDlqTopic).sort();
}

async function ensureDlqTopic(admin: Admin, topic: string): Promise<void> {
  if (!isDlqTopic(topic) || !(await admin.listTopics()).includes(topic))
    throw new UnknownDlqTopicError(topic);
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

interface RangeRead {
  topic: string;
  groupId: string;
  /** Per partition, the offsets [from, to) to read. */
  ranges: Map<number, { from: bigint; to: bigint }>;
  limit: number;
  /** Commit offset+1 in `groupId` after each handled message. */
  commit: boolean;
  timeoutMs: number;
  handle: (partition: number, message: KafkaMessage) => Promise<void>;
}

/**
 * Reads the given offset ranges with a consumer of group `groupId`, handling each message in
 * partition order, at most `limit` in all. Resolves when every range is read, the limit is hit or
 * `timeoutMs` passed (e.g. another replay holds some partitions); a failing handler stops it
 * before that message is committed and rejects.
 */
async function readRanges(kafka: Kafka, read: RangeRead): Promise<{ handled: number; complete: boolean }> {
  const todo = new Map([...read.ranges].filter(([, range]) => range.from < range.to));
  if (todo.size === 0 || read.limit <= 0) return { handled: 0, complete: true };
  const consumer = kafka.consumer({
    groupId: read.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
  });
  let handled = 0;
  let stopped = false;
  let failure: Error | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = () => {
      stopped = true;
      resolve();
    };
  });
  const timer = setTimeout(finish, read.timeoutMs);
  const partitionDone = (partition: number) => {
    todo.delete(partition);
    consumer.pause([{ topic: read.topic, partitions: [partition] }]);
    if (todo.size === 0) finish();
  };
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: read.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachMessage: async ({ partition, message }) => {
        const range = todo.get(partition);
        if (stopped || !range) return;
        const offset = BigInt(message.offset);
        if (offset < range.from) return;
        if (offset >= range.to) return partitionDone(partition);
        try {
          await read.handle(partition, message);
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
          finish();
          return;
        }
        handled += 1;
        if (read.commit) {
          await consumer.commitOffsets([{ topic: read.topic, partition, offset: String(offset + 1n) }]);
        }
        if (offset + 1n >= range.to) partitionDone(partition);
        if (handled >= read.limit) finish();
      },
    });
    for (const [partition, range] of todo) {
      consumer.seek({ topic: read.topic, partition, offset: String(range.from) });
    }
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  if (failure !== undefined) throw failure;
  return { handled, complete: todo.size === 0 || handled >= read.limit };
}

function pendingRanges(count: DlqTopicCount, perPartitionLimit: number) {
  return new Map(
    count.partitions.map((p) => {
      const from = BigInt(p.start);
      const to = BigInt(p.high);
      const capped = from + BigInt(perPartitionLimit);
      return [p.partition, { from, to: capped < to ? capped : to }];
    }),
  );
}

export interface ShowResult {
  count: DlqTopicCount;
  entries: DlqEntry[];
}

/** The first `limit` pending messages (by partition, then offset), read without marking anything. */
export async function showDlq(
  kafka: Kafka,
  topic: string,
  options: DlqOptions & { limit?: number; timeoutMs?: number } = {},
): Promise<ShowResult> {
  const limit = options.limit ?? 20;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureDlqTopic(admin, topic);
    const count = await countDlq(admin, topic, options);
    const entries: DlqEntry[] = [];
    // A throwaway group: reading must not move the replay group's offsets.
    const groupId = `trackops-dlq-show-${randomUUID()}`;
    await readRanges(kafka, {
      topic,
      groupId,
      ranges: pendingRanges(count, limit),
      limit: Number.MAX_SAFE_INTEGER,
      commit: false,
      timeoutMs: options.timeoutMs ?? 30_000,
      handle: async (partition, message) => {
        entries.push(describeDlqMessage(topic, partition, message));
      },
    });
    await admin.deleteGroups([groupId]).catch(() => undefined);
    entries.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
    return { count, entries: entries.slice(0, limit) };
  } finally {
    await admin.disconnect();
  }
}

export interface ReplayResult {
  topic: string;
  replayed: DlqEntry[];
  /** False when the time ran out before every pending message (up to the limit) was replayed. */
  complete: boolean;
  after: DlqTopicCount;
}

/**
 * Re-publishes pending messages (all, or the first `limit`) to their original topic and partition
 * with their original key, value and headers (the `dlq-*` headers removed), each followed by a
 * commit of the replay group's offset. A crash between the two replays that message again;
 * consumers dedupe by event id. A message that fails again comes back to the DLQ as a new one.
 */
export async function replayDlq(
  kafka: Kafka,
  producer: Producer,
  topic: string,
  options: DlqOptions & { limit?: number; timeoutMs?: number } = {},
): Promise<ReplayResult> {
  const group = options.group ?? DLQ_REPLAY_GROUP;
  const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureDlqTopic(admin, topic);
    const before = await countDlq(admin, topic, { group });
    const replayed: DlqEntry[] = [];
    const partitionCounts = new Map<string, number>();
    const partitionsOf = async (target: string) => {
      if (!partitionCounts.has(target)) {
        const metadata = await admin.fetchTopicMetadata({ topics: [target] });
        partitionCounts.set(target, metadata.topics[0]?.partitions.length ?? 0);
      }
      return partitionCounts.get(target)!;
    };
    const { complete } = await readRanges(kafka, {
      topic,
      groupId: group,
      ranges: pendingRanges(before, Number.MAX_SAFE_INTEGER),
      limit,
      commit: true,
      timeoutMs: options.timeoutMs ?? 60_000,
      handle: async (partition, message) => {
        const entry = describeDlqMessage(topic, partition, message);
        const partitions = await partitionsOf(entry.originalTopic);
        if (partitions === 0) throw new Error(`original topic ${entry.originalTopic} does not exist`);
        const samePartition =
          entry.originalPartition !== null &&
          Number.isInteger(entry.originalPartition) &&
          entry.originalPartition >= 0 &&
          entry.originalPartition < partitions;
        await producer.send({
          topic: entry.originalTopic,
          acks: -1,
          messages: [
            {
              key: message.key,
              value: message.value,
              headers: originalHeaders(message.headers),
              ...(samePartition ? { partition: entry.originalPartition! } : {}),
            },
          ],
        });
        replayed.push(entry);
      },
    });
    return { topic, replayed, complete, after: await countDlq(admin, topic, { group }) };
  } finally {
    await admin.disconnect();
  }
}

export interface PurgeResult {
  topic: string;
  deleted: number;
  after: DlqTopicCount;
}

/**
 * Deletes every message of a dead-letter topic up to its current end offsets (Kafka's
 * DeleteRecords: the low watermark moves there), so nothing is pending and nothing is retained.
 * Messages that arrive meanwhile are kept.
 */
export async function purgeDlq(admin: Admin, topic: string, options: DlqOptions = {}): Promise<PurgeResult> {
  await ensureDlqTopic(admin, topic);
  const before = await countDlq(admin, topic, options);
  const partitions = before.partitions
    .filter((p) => p.retained > 0)
    .map((p) => ({ partition: p.partition, offset: p.high }));
  if (partitions.length > 0) await admin.deleteTopicRecords({ topic, partitions });
  return { topic, deleted: before.retained, after: await countDlq(admin, topic, options) };
}
