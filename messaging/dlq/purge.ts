import type { Admin } from 'kafkajs';
import { countDlq, type DlqOptions, type DlqTopicCount } from './counts';
import { ensureDlqTopic } from './topics';

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
