import type { Kafka, KafkaMessage } from 'kafkajs';
import type { DlqTopicCount } from './counts';

export interface RangeRead {
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
export async function readRanges(
  kafka: Kafka,
  read: RangeRead,
): Promise<{ handled: number; complete: boolean }> {
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

/** Per partition, the pending offsets [start, high), at most `perPartitionLimit` of them. */
export function pendingRanges(count: DlqTopicCount, perPartitionLimit: number) {
  return new Map(
    count.partitions.map((p) => {
      const from = BigInt(p.start);
      const to = BigInt(p.high);
      const capped = from + BigInt(perPartitionLimit);
      return [p.partition, { from, to: capped < to ? capped : to }];
    }),
  );
}
