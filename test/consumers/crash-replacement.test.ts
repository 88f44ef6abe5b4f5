/**
 * A crash kafkajs does not restart by itself (after broker restarts it gives up on some of them)
 * must not leave the consumers process up but consuming nothing: ConsumerRunner replaces the
 * crashed consumer with a new member of the same group, which goes on with the uncommitted
 * messages, and the runner reports itself running again once that member has joined.
 *
 * The crash is made on the real broker: a Kafka client whose `restartOnFailure` refuses every
 * restart, and a lag metric that throws until the crash (outside the runner's own error handling,
 * so the batch itself fails as a broken fetch would, through kafkajs's retries).
 */
import { Writable } from 'node:stream';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import pino from 'pino';
import { ConsumerRunner, type ConsumerMetrics } from '../../consumers/runtime/consumer-runner';
import { testRunId } from '../support/db';
import { waitFor } from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';

jest.setTimeout(120_000);

const RUN = testRunId('crash');
const TOPIC = `trackops.test.crash-replacement-${RUN}`;
const GROUP = `trackops-test-crash-replacement-${RUN}`;

const neverRestarting = new Kafka({
  clientId: `test-${RUN}`,
  brokers: stackConfig.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
  retry: { restartOnFailure: () => Promise.resolve(false) },
});
let admin: Admin;
let producer: Producer;
let runner: ConsumerRunner | undefined;

beforeAll(async () => {
  admin = neverRestarting.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 1 }] });
  producer = neverRestarting.producer();
  await producer.connect();
});

afterAll(async () => {
  await runner?.stop();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin.disconnect();
});

it('replaces a consumer that crashed for good and applies every message once', async () => {
  const logged: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  const crashed = () => logged.some((line) => line.msg === 'consumer crashed' && line.restart === false);
  const metrics: ConsumerMetrics = {
    processed: () => undefined,
    retried: () => undefined,
    deadLettered: () => undefined,
    cdcLag: () => undefined,
    // Until the crash: kafkajs retries a failed batch a few times before it gives up.
    lag: () => {
      if (!crashed()) throw new Error('injected fetch failure');
    },
  };
  const applied: string[] = [];
  runner = new ConsumerRunner(
    neverRestarting,
    producer,
    {
      name: GROUP,
      topics: [TOPIC],
      handle: ({ message }) => {
        applied.push(String(message.value));
        return Promise.resolve();
      },
    },
    logger,
    metrics,
  );
  await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'first' }, { value: 'second' }] });
  await runner.start();

  await waitFor('the crash', () => Promise.resolve(crashed() ? true : undefined), { timeoutMs: 60_000 });
  expect(applied).toEqual([]);
  await waitFor('both messages applied by the replacement', () =>
    Promise.resolve(applied.length >= 2 ? true : undefined),
  );
  await waitFor('the runner running again', () => Promise.resolve(runner!.isRunning ? true : undefined));

  // The crashed batch resolved nothing, so the replacement started from the first message.
  expect(applied).toEqual(['first', 'second']);
  await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'third' }] });
  await waitFor('a later message', () => Promise.resolve(applied.length >= 3 ? true : undefined));
  expect(applied).toEqual(['first', 'second', 'third']);
});
