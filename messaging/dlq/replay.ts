import type { Kafka, Producer } from 'kafkajs';
import { countDlq, type DlqOptions, type DlqTopicCount } from './counts';
import { describeDlqMessage, originalHeaders, type DlqEntry } from './entries';
import { pendingRanges, readRanges } from './range-reader';
import { DLQ_REPLAY_GROUP, ensureDlqTopic } from './topics';
import { sendVerbatim } from '../verbatim-send';
import { asVerbatimCopy } from '../../lib/telemetry/verbatim-messages';

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
        await sendVerbatim(() =>
          producer.send({
            topic: entry.originalTopic,
            acks: -1,
            messages: [
              asVerbatimCopy({
                key: message.key,
                value: message.value,
                headers: originalHeaders(message.headers),
                ...(samePartition ? { partition: entry.originalPartition! } : {}),
              }),
            ],
          }),
        );
        replayed.push(entry);
      },
    });
    return { topic, replayed, complete, after: await countDlq(admin, topic, { group }) };
  } finally {
    await admin.disconnect();
  }
}
