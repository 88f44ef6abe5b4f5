import { Kafka, logLevel, type Admin } from 'kafkajs';

import { LOOPBACK } from '../stack/ports';

async function withAdmin<T>(port: number, quick: boolean, use: (admin: Admin) => Promise<T>): Promise<T> {
  const kafka = new Kafka({
    clientId: 'trackops-stack',
    brokers: [`${LOOPBACK}:${port}`],
    // A health probe must answer within a second or two and never log a stack trace per poll.
    logLevel: quick ? logLevel.NOTHING : logLevel.ERROR,
    connectionTimeout: quick ? 1000 : 5000,
    requestTimeout: quick ? 2000 : 30_000,
    retry: quick ? { retries: 0 } : { retries: 5 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Healthy means the broker answers a metadata request, not merely that its port accepts connections. */
export async function brokerAnswers(port: number): Promise<boolean> {
  try {
    const cluster = await withAdmin(port, true, (admin) => admin.describeCluster());
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  }
}

export function clusterId(port: number): Promise<string> {
  return withAdmin(port, true, async (admin) => (await admin.describeCluster()).clusterId);
}

export interface TopicReport {
  created: string[];
  /** Topics that already existed with another partition count: left alone, as resizing reshuffles keys. */
  mismatched: Array<{ topic: string; partitions: number }>;
}

/** Creates the topics that are missing; never alters one that exists. */
export async function ensureTopics(
  port: number,
  topics: readonly string[],
  partitions: number,
): Promise<TopicReport> {
  return withAdmin(port, false, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        timeout: 30_000,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
    const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
    const mismatched = metadata.topics
      .filter((topic) => topic.partitions.length !== partitions)
      .map((topic) => ({ topic: topic.name, partitions: topic.partitions.length }));
    return { created: missing, mismatched };
  });
}
