import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { countDlq, type DlqOptions, type DlqTopicCount } from './counts';
import { describeDlqMessage, type DlqEntry } from './entries';
import { pendingRanges, readRanges } from './range-reader';
import { ensureDlqTopic } from './topics';

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
