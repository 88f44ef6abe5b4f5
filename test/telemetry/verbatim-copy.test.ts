/**
 * A copy of an existing Kafka message (outbox relay, dead letter, DLQ replay) keeps the
 * `traceparent` it carries even when it is sent inside a traced operation, while a new message gets
 * the sending span's: the kafkajs instrumentation's producer hook (lib/telemetry/instrumentations.ts)
 * puts the copy's own header back. Proven in a child process started as the app processes are (the
 * OTel preload), sending to a topic on the real broker.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { APP_PRELOAD_FLAGS } from '../../lib/telemetry/preload-flags';
import { testRunId } from '../support/db';
import { waitFor } from '../support/orders-e2e';
import { kafka, TopicWatcher } from '../support/signals';
import { stackConfig } from '../support/stack-env';

jest.setTimeout(60_000);

const RUN = testRunId('verbatim');
const TOPIC = `trackops.test.verbatim-copy-${RUN}`;
const CARRIED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const admin = kafka().admin();
let watcher: TopicWatcher;

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 1 }] });
  watcher = await new TopicWatcher([TOPIC]).start();
});

afterAll(async () => {
  await watcher.stop();
  await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin.disconnect();
});

it('keeps a copy’s own traceparent and gives a new message the sending span’s', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...APP_PRELOAD_FLAGS, path.join(__dirname, 'fixtures', 'send-copies.ts'), TOPIC, CARRIED],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      env: {
        ...process.env,
        KAFKA_BROKERS: stackConfig.KAFKA_BROKERS,
        OTEL_SERVICE_NAME: 'verbatim-copy-test',
      },
    },
  );
  const traceId = stdout.trim();
  expect(traceId).toMatch(/^[\da-f]{32}$/);

  const seen = await waitFor('the three messages', () =>
    Promise.resolve(watcher.seen.length >= 3 ? watcher.seen : undefined),
  );
  const byKey: Record<string, Record<string, string> | undefined> = Object.fromEntries(
    seen.map((m) => [m.key ?? '', m.headers]),
  );
  expect(byKey.new?.traceparent).toMatch(new RegExp(`^00-${traceId}-[\\da-f]{16}-01$`));
  expect(byKey['copy-with']).toEqual({ traceparent: CARRIED });
  expect(byKey['copy-without']).toEqual({ other: 'kept' });
});
