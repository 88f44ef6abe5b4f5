import type { Kafka } from 'kafkajs';
import { RESTOCK_SIGNALS_CONSUMER } from '../../../consumers/restock-signals';
import { WORKFLOW_SIGNALS_CONSUMER } from '../../../consumers/workflow-signals';
import { EventType } from '../../../domain/events';
import { listDlqTopics } from '../../../messaging/dlq/topics';
import { uniqueSuffix } from '../stack-env';
import { violation, type InvariantClients, type RunScope, type Violation } from './scope';

/** The high watermark of every DLQ topic partition now: where a run's dead letters will begin. */
export async function dlqWatermarks(kafka: Kafka): Promise<Map<string, Map<number, bigint>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const marks = new Map<string, Map<number, bigint>>();
    for (const topic of await listDlqTopics(admin)) {
      const offsets = await admin.fetchTopicOffsets(topic);
      marks.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
    }
    return marks;
  } finally {
    await admin.disconnect();
  }
}

/** The keys of every message that reached a DLQ topic after `start`, read from the broker. */
async function deadLettersSince(kafka: Kafka, start: Map<string, Map<number, bigint>>): Promise<string[]> {
  const end = await dlqWatermarks(kafka);
  const wanted = new Map<string, Map<number, { from: bigint; to: bigint }>>();
  for (const [topic, partitions] of end) {
    for (const [partition, high] of partitions) {
      const from = start.get(topic)?.get(partition) ?? 0n;
      if (high > from) {
        if (!wanted.has(topic)) wanted.set(topic, new Map());
        wanted.get(topic)!.set(partition, { from, to: high });
      }
    }
  }
  if (wanted.size === 0) return [];
  const keys: string[] = [];
  let remaining = [...wanted.values()].reduce((n, p) => n + p.size, 0);
  const consumer = kafka.consumer({ groupId: `invariants-dlq-${uniqueSuffix()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...wanted.keys()], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('reading the DLQ topics timed out')), 60_000);
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            const range = wanted.get(topic)?.get(partition);
            const offset = BigInt(message.offset);
            if (!range || offset < range.from || offset >= range.to) return;
            keys.push(`${topic}:${message.key?.toString() ?? '(no key)'}`);
            if (offset === range.to - 1n && (remaining -= 1) === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return keys;
}

/**
 * Every shipment report and restock of the run was applied exactly once by the consumer that acts
 * on it (one processed_events row each), and the DLQ topics gained only the injected poison.
 */
export async function checkEvents(
  clients: InvariantClients,
  scope: RunScope,
  orderIds: readonly string[],
): Promise<Violation[]> {
  const found: Violation[] = [];
  const { ordersDb, inventoryDb } = clients;
  const expected = [
    ...(
      await ordersDb.outboxEvent.findMany({
        where: { aggregateId: { in: [...orderIds] }, type: EventType.OrderShipmentEvent },
        select: { id: true },
      })
    ).map((e) => ({ consumer: WORKFLOW_SIGNALS_CONSUMER, eventId: e.id })),
    ...(
      await inventoryDb.outboxEvent.findMany({
        where: { aggregateId: { in: [...scope.unitsIssued.keys()] }, type: EventType.InventoryRestocked },
        select: { id: true },
      })
    ).map((e) => ({ consumer: RESTOCK_SIGNALS_CONSUMER, eventId: e.id })),
  ];
  const processed = await ordersDb.processedEvent.groupBy({
    by: ['consumer', 'eventId'],
    where: { eventId: { in: expected.map((e) => e.eventId) } },
    _count: true,
  });
  const times = new Map(processed.map((p) => [`${p.consumer}/${p.eventId}`, p._count]));
  for (const event of expected) {
    const count = times.get(`${event.consumer}/${event.eventId}`) ?? 0;
    if (count !== 1) found.push(violation('every event applied exactly once', { ...event, count }));
  }
  const letters = await deadLettersSince(clients.kafka, scope.dlqStart);
  const strangers = letters.filter((key) => !scope.poisonKeys.has(key.slice(key.indexOf(':') + 1)));
  if (strangers.length > 0) found.push(violation('the DLQ holds only the injected poison', strangers));
  const poisoned = new Set(letters.map((key) => key.slice(key.indexOf(':') + 1)));
  for (const key of scope.poisonKeys) {
    if (!poisoned.has(key)) found.push(violation('injected poison reached the DLQ', key));
  }
  return found;
}
