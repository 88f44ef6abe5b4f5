import type { Admin } from 'kafkajs';

/*
 * The dead-letter topics' names and headers: what consumers/runtime/dead-letter.ts writes and the
 * DLQ tools (./dlq.ts) read.
 */

export const DLQ_SUFFIX = '.dlq';
export const dlqTopicOf = (topic: string) => `${topic}${DLQ_SUFFIX}`;

/** Headers a dead-lettered message carries, so it can be understood and replayed later. */
export const DLQ_HEADERS = {
  error: 'dlq-error',
  stack: 'dlq-stack',
  originalTopic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  attempts: 'dlq-attempts',
  consumer: 'dlq-consumer',
  failedAt: 'dlq-failed-at',
} as const;

/** The consumer group whose committed offsets mark dead letters done (no consumer process joins it). */
export const DLQ_REPLAY_GROUP = 'trackops-dlq-replay';

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

/** Every dead-letter topic on the cluster, sorted. */
export async function listDlqTopics(admin: Admin): Promise<string[]> {
  return (await admin.listTopics()).filter(isDlqTopic).sort();
}

export async function ensureDlqTopic(admin: Admin, topic: string): Promise<void> {
  if (!isDlqTopic(topic) || !(await admin.listTopics()).includes(topic))
    throw new UnknownDlqTopicError(topic);
}
