/**
 * The outbox-cleanup activity against the stack's Postgres: rows past their retention go, in
 * batches, from both databases; newer rows stay.
 *
 * The rows are inserted with occurred_at / processed_at far in the past and a retention of 30 days,
 * so the activity only ever touches rows older than 30 days, which no other test writes. The outbox
 * rows use the aggregate type `cleanup_test`: the outbox connectors publish them to
 * `trackops.cleanup_test`, which nothing consumes.
 */
import { randomUUID } from 'node:crypto';
import { createOutboxActivities, type OutboxCleanupResult } from '../../activities/outbox-activities';
import { durationMs, loadConfig } from '../../lib/config';
import { createTestDbs, testRunId } from '../support/db';
import { quietActivityRunner } from './helpers';

const RUN = testRunId('outboxclean');
const DAY = 86_400_000;
const dbs = createTestDbs(4);
const { ordersDb, inventoryDb } = dbs;
const run = quietActivityRunner();

type Db = typeof ordersDb | typeof inventoryDb;

/** An outbox row of a given age; published (on Kafka) unless said otherwise. */
const insertOutbox = async (db: Db, ageMs: number, published = true): Promise<string> => {
  const id = randomUUID();
  const at = new Date(Date.now() - ageMs).toISOString();
  const publishedAt = published ? at : null;
  await (db as typeof ordersDb).$executeRaw`
    INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, occurred_at, published_at)
    VALUES (${id}::uuid, 'cleanup_test', ${RUN}, 'CLEANUP_TEST', '{}'::jsonb, ${at}::timestamptz,
            ${publishedAt}::timestamptz)`;
  return id;
};

const insertProcessed = async (db: Db, ageMs: number): Promise<string> => {
  const eventId = randomUUID();
  const at = new Date(Date.now() - ageMs).toISOString();
  await (db as typeof ordersDb).$executeRaw`
    INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (${RUN}, ${eventId}, ${at}::timestamptz)`;
  return eventId;
};

const outboxIds = async (db: Db) =>
  (
    await (db as typeof ordersDb).outboxEvent.findMany({ where: { aggregateId: RUN }, select: { id: true } })
  ).map((row) => row.id);

const processedIds = async (db: Db) =>
  (
    await (db as typeof ordersDb).processedEvent.findMany({
      where: { consumer: RUN },
      select: { eventId: true },
    })
  ).map((row) => row.eventId);

afterAll(async () => {
  try {
    for (const db of [ordersDb, inventoryDb] as const) {
      await (db as typeof ordersDb).$executeRaw`DELETE FROM outbox WHERE aggregateid = ${RUN}`;
      await (db as typeof ordersDb).$executeRaw`DELETE FROM processed_events WHERE consumer = ${RUN}`;
    }
  } finally {
    await Promise.allSettled([ordersDb.$disconnect(), inventoryDb.$disconnect()]);
  }
});

describe('cleanupOutbox', () => {
  it('deletes outbox and processed_events rows past their retention in both databases, and only those', async () => {
    const rows = {} as Record<
      'orders' | 'inventory',
      { oldOutbox: string[]; keptOutbox: string[]; oldProcessed: string[]; keptProcessed: string[] }
    >;
    for (const [name, db] of [
      ['orders', ordersDb],
      ['inventory', inventoryDb],
    ] as const) {
      rows[name] = {
        // 7 old rows with a batch size of 3: three batches, the last one short.
        oldOutbox: await Promise.all(
          [40, 41, 42, 50, 60, 70, 365].map((days) => insertOutbox(db, days * DAY)),
        ),
        keptOutbox: [
          ...(await Promise.all([29, 1, 0].map((days) => insertOutbox(db, days * DAY)))),
          // Old but never published (a long outage): kept until it is on Kafka.
          await insertOutbox(db, 90 * DAY, false),
        ],
        oldProcessed: await Promise.all([61, 90].map((days) => insertProcessed(db, days * DAY))),
        keptProcessed: await Promise.all([59, 0].map((days) => insertProcessed(db, days * DAY))),
      };
    }

    const activities = createOutboxActivities(dbs, {
      outboxRetentionMs: 30 * DAY,
      processedEventsRetentionMs: 60 * DAY,
      batchSize: 3,
    });
    const result = await run(activities.cleanupOutbox.bind(activities));

    expect(result.complete).toBe(true);
    for (const name of ['orders', 'inventory'] as const) {
      const db = name === 'orders' ? ordersDb : inventoryDb;
      expect((await outboxIds(db)).sort()).toEqual([...rows[name].keptOutbox].sort());
      expect((await processedIds(db)).sort()).toEqual([...rows[name].keptProcessed].sort());
      // Other runs' rows older than 30 (60) days would count too; there are none on the stack.
      expect(result[name].outbox).toBeGreaterThanOrEqual(7);
      expect(result[name].processedEvents).toBeGreaterThanOrEqual(2);
    }
    expect(Date.parse(result.outboxBefore)).toBeLessThan(Date.now() - 30 * DAY + 60_000);
    expect(Date.parse(result.processedEventsBefore)).toBeLessThan(Date.now() - 60 * DAY + 60_000);
  });

  it('stops after maxBatches and says it is not complete; the next run goes on', async () => {
    const old = await Promise.all([1, 2, 3, 4, 5].map((n) => insertOutbox(ordersDb, (100 + n) * DAY)));
    const activities = createOutboxActivities(dbs, {
      outboxRetentionMs: 30 * DAY,
      processedEventsRetentionMs: 60 * DAY,
      batchSize: 2,
      maxBatches: 1,
    });

    const first: OutboxCleanupResult = await run(activities.cleanupOutbox.bind(activities));
    expect(first.complete).toBe(false);
    expect(first.orders.outbox).toBe(2);
    // Oldest first.
    const left = await outboxIds(ordersDb);
    expect(left.filter((id) => old.includes(id)).sort()).toEqual(old.slice(0, 3).sort());

    for (let attempt = 0; attempt < 3; attempt++) await run(activities.cleanupOutbox.bind(activities));
    expect((await outboxIds(ordersDb)).filter((id) => old.includes(id))).toEqual([]);
  });

  it('is wired to OUTBOX_RETENTION (24h) and PROCESSED_EVENTS_RETENTION (7d) by default', () => {
    const config = loadConfig({});
    expect(durationMs(config.OUTBOX_RETENTION)).toBe(DAY);
    expect(durationMs(config.PROCESSED_EVENTS_RETENTION)).toBe(7 * DAY);
    expect(durationMs(loadConfig({ OUTBOX_RETENTION: '90m' }).OUTBOX_RETENTION)).toBe(90 * 60_000);
    expect(() => loadConfig({ OUTBOX_RETENTION: '1 day' })).toThrow(/OUTBOX_RETENTION/);
    expect(() => loadConfig({ PROCESSED_EVENTS_RETENTION: '0s' })).toThrow(/PROCESSED_EVENTS_RETENTION/);
  });
});
