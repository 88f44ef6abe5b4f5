/**
 * ConsumerRunner with a batch handler, on the real broker: a topic of this run's own holds a
 * poison message among good ones. The runner applies what Kafka fetched in chunks through
 * handleBatch; the chunk with the poison message fails and is applied message by message instead,
 * so only the poison message is dead-lettered (with its headers) and every good one is applied.
 * Offsets are committed for everything while it runs, so a restarted runner of the same group
 * applies nothing but what came after.
 */
import type { Admin, Producer } from 'kafkajs';
import {
  ConsumerRunner,
  type ConsumerDefinition,
  type IncomingMessage,
} from '../../consumers/runtime/consumer-runner';
import { DLQ_HEADERS, dlqTopicOf } from '../../messaging/dlq/topics';
import { PermanentError } from '../../consumers/runtime/retry';
import { createLogger } from '../../lib/logger';
import { waitFor } from '../support/orders-e2e';
import { kafka as testKafka, TopicWatcher } from '../support/signals';
import { uniqueSuffix } from '../support/stack-env';

jest.setTimeout(120_000);

const RUN = uniqueSuffix();
const TOPIC = `trackops.test.batch-runner-${RUN}`;
const DLQ = dlqTopicOf(TOPIC);
const GROUP = `trackops-test-batch-runner-${RUN}`;
const COUNT = 50;
const POISON = 23;
const CHUNK = 20;

const logger = createLogger('batch-runner-test', 'error');
const kafka = testKafka();
let admin: Admin;
let producer: Producer;
let watcher: TopicWatcher;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: TOPIC, numPartitions: 1 },
      { topic: DLQ, numPartitions: 1 },
    ],
  });
  producer = kafka.producer();
  await producer.connect();
  watcher = await new TopicWatcher([DLQ]).start();
});

afterAll(async () => {
  await watcher?.stop();
  await admin.deleteGroups([GROUP]).catch(() => undefined);
  await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
  await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
});

const committedOffset = async () => {
  const [offsets] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  return offsets?.partitions[0]?.offset;
};

/** A consumer whose batch handler refuses a batch holding the poison message, as the cache's does. */
function recordingConsumer() {
  const applied: string[] = [];
  const batchSizes: number[] = [];
  const valueOf = ({ message }: IncomingMessage) => message.value?.toString() ?? '';
  const check = (incoming: IncomingMessage) => {
    if (valueOf(incoming) === 'poison') throw new PermanentError('not a message this consumer understands');
  };
  const definition: ConsumerDefinition = {
    name: GROUP,
    topics: [TOPIC],
    maxBatchSize: CHUNK,
    retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    handle: async (incoming) => {
      check(incoming);
      applied.push(valueOf(incoming));
    },
    handleBatch: async (batch) => {
      batch.forEach(check);
      batchSizes.push(batch.length);
      applied.push(...batch.map(valueOf));
    },
  };
  return { definition, applied, batchSizes };
}

it('applies in chunks, falls back to one by one for the failing chunk, dead-letters only the bad message', async () => {
  const values = Array.from({ length: COUNT }, (_, i) => (i === POISON ? 'poison' : `m${i}`));
  await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });

  const first = recordingConsumer();
  const runner = new ConsumerRunner(kafka, producer, first.definition, logger);
  await runner.start();
  try {
    await waitFor('all good messages applied', async () =>
      first.applied.length >= COUNT - 1 ? true : undefined,
    );
    const dead = await waitFor('the poison message on the DLQ', async () =>
      watcher.seen.find((m) => m.topic === DLQ),
    );
    expect(dead.value).toBe('poison');
    expect(dead.headers[DLQ_HEADERS.originalTopic]).toBe(TOPIC);
    expect(dead.headers[DLQ_HEADERS.offset]).toBe(String(POISON));
    expect(dead.headers[DLQ_HEADERS.attempts]).toBe('1');
    expect(dead.headers[DLQ_HEADERS.error]).toMatch(/not a message this consumer understands/);
    // Committed while running (every second, beside the fetch loop), not only when leaving.
    await waitFor('the offsets committed while running', async () =>
      (await committedOffset()) === String(COUNT) ? true : undefined,
    );
  } finally {
    await runner.stop();
  }

  // Every good message once, in order; the good ones batched, at most CHUNK at a time.
  expect(first.applied).toEqual(values.filter((v) => v !== 'poison'));
  expect(first.batchSizes.length).toBeGreaterThan(0);
  expect(Math.max(...first.batchSizes)).toBeLessThanOrEqual(CHUNK);
  expect(first.batchSizes.some((size) => size > 1)).toBe(true);
  expect(watcher.seen.filter((m) => m.topic === DLQ)).toHaveLength(1);

  expect(await committedOffset()).toBe(String(COUNT));

  // A new instance of the group starts after what was committed.
  await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: 'k', value: 'after-restart' }] });
  const second = recordingConsumer();
  const again = new ConsumerRunner(kafka, producer, second.definition, logger);
  await again.start();
  try {
    await waitFor('the new message applied', async () => (second.applied.length > 0 ? true : undefined));
  } finally {
    await again.stop();
  }
  expect(second.applied).toEqual(['after-restart']);
});
