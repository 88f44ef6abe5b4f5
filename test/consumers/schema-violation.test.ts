/**
 * A payload its committed schema refuses is a permanent error: the restock-signals consumer, run by
 * ConsumerRunner on the real broker (a topic and group of this run's own), parks it on the DLQ at
 * the first attempt although its retry policy allows five, with the offending field in dlq-error,
 * and applies the valid event behind it on the same partition.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Admin, Producer } from 'kafkajs';
import { RESTOCK_SIGNALS_CONSUMER, restockSignalsConsumer } from '../../consumers/restock-signals';
import { ConsumerRunner } from '../../consumers/runtime/consumer-runner';
import { DLQ_HEADERS, dlqTopicOf } from '../../messaging/dlq/topics';
import { DEFAULT_RETRY_POLICY } from '../../consumers/runtime/retry';
import type { InventoryRestockedPayload } from '../../events/payloads';
import { createLogger } from '../../lib/logger';
import { createTemporalClient } from '../../lib/temporal-client';
import { closeTestDbs, createTestDbs, testRunId } from '../support/db';
import { waitFor } from '../support/orders-e2e';
import { processedRows, kafka as testKafka, TopicWatcher } from '../support/signals';
import { stackConfig } from '../support/stack-env';

jest.setTimeout(120_000);

const RUN = testRunId('schemadlq');
const TOPIC = `trackops.test.schema-violation-${RUN}`;
const DLQ = dlqTopicOf(TOPIC);
const GROUP = `trackops-test-schema-violation-${RUN}`;
// No backorder waits on it, so the valid restock signals nothing and is only recorded.
const PRODUCT = `${RUN}-nobody-waits`;

const logger = createLogger('schema-violation-test', 'error');
const kafka = testKafka();
const dbs = createTestDbs(2);
let temporal: Client;
let admin: Admin;
let producer: Producer;
let watcher: TopicWatcher;
let runner: ConsumerRunner;

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
  temporal = createTemporalClient(stackConfig.TEMPORAL_ADDRESS, stackConfig.TEMPORAL_NAMESPACE);
  const consumer = restockSignalsConsumer({ ordersDb: dbs.ordersDb, temporal, logger });
  expect(consumer.retry ?? DEFAULT_RETRY_POLICY).toMatchObject({ maxAttempts: 5 });
  runner = new ConsumerRunner(kafka, producer, { ...consumer, name: GROUP, topics: [TOPIC] }, logger);
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  await watcher?.stop();
  await admin.deleteGroups([GROUP]).catch(() => undefined);
  await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
  await Promise.allSettled([producer?.disconnect(), admin?.disconnect(), temporal?.connection.close()]);
  await closeTestDbs(dbs, RUN);
});

const restock = (payload: unknown) => {
  const id = randomUUID();
  return {
    id,
    message: {
      key: PRODUCT,
      value: JSON.stringify(payload),
      headers: {
        id,
        eventType: 'INVENTORY_RESTOCKED',
        aggregateType: 'inventory',
        aggregateId: PRODUCT,
        schemaVersion: '1',
        occurredAt: new Date().toISOString(),
      },
    },
  };
};

it('dead-letters a payload that violates its schema at once, naming the field, and applies a valid one', async () => {
  const valid: InventoryRestockedPayload = {
    productId: PRODUCT,
    previousAvailable: 0,
    available: 4,
    added: 4,
  };
  const invalid = restock({ ...valid, added: 0 });
  const good = restock(valid);
  await producer.send({ topic: TOPIC, acks: -1, messages: [invalid.message, good.message] });

  const processed = await waitFor('the valid restock recorded as processed', async () => {
    const rows = await processedRows(dbs.ordersDb, RESTOCK_SIGNALS_CONSUMER, [good.id]);
    return rows.length > 0 ? rows : undefined;
  });
  expect(processed).toHaveLength(1);

  const [parked] = await waitFor('the invalid restock on the DLQ', async () => {
    const found = watcher.withHeader('id', invalid.id, DLQ);
    return found.length > 0 ? found : undefined;
  });
  expect(parked!.value).toBe(invalid.message.value);
  expect(parked!.headers[DLQ_HEADERS.attempts]).toBe('1');
  expect(parked!.headers[DLQ_HEADERS.error]).toBe(
    `outbox event ${invalid.id}: INVENTORY_RESTOCKED v1 payload does not match its schema: /added must be >= 1`,
  );
  expect(parked!.headers[DLQ_HEADERS.stack]).toContain('SchemaViolationError');
  expect(await processedRows(dbs.ordersDb, RESTOCK_SIGNALS_CONSUMER, [invalid.id])).toEqual([]);
  expect(watcher.withHeader('id', good.id, DLQ)).toEqual([]);
});
