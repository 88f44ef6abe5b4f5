import type { Producer, RecordMetadata } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { createInventoryDb, type InventoryDb } from '../../domain/inventory/db';
import { createOrdersDb, type OrdersDb } from '../../domain/orders/db';
import type { AppConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import {
  OUTBOX_CONTEXTS,
  OUTBOX_ID_PATTERN,
  OUTBOX_ROW_COLUMNS,
  outboxMessage,
  type OutboxContext,
  type OutboxRow,
} from './outbox-wire';

/** Both contexts' databases: each has an `outbox` table of the same shape. */
export interface RelayDbs {
  orders: OrdersDb;
  inventory: InventoryDb;
}

/** The raw-SQL surface of a Prisma client (either context) that the relay needs. */
interface RawTx {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}
interface RawDb extends RawTx {
  $transaction<T>(
    work: (tx: RawTx) => Promise<T>,
    options?: { maxWait?: number; timeout?: number },
  ): Promise<T>;
}

/**
 * One relay publishes a database's outbox at a time (a transaction-scoped advisory lock): rows go
 * out in (occurred_at, id) order, so one aggregate's events keep their order on its partition even
 * with several consumers processes running the relay.
 */
const RELAY_LOCK_SQL = `SELECT pg_try_advisory_xact_lock(hashtext('trackops-outbox-relay')) AS "locked"`;
const RELAY_LOCK_WAIT_SQL = `SELECT pg_advisory_xact_lock(hashtext('trackops-outbox-relay'))::text AS "locked"`;

/** Publishing holds row locks while Kafka acknowledges; generous, since a batch is one request. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 60_000 };

/** Rows per batch of the polling loop: one Kafka request and one UPDATE each. */
export const RELAY_BATCH_SIZE = 100;

export interface PublishedEvent {
  context: OutboxContext;
  eventId: string;
  eventType: string;
  topic: string;
  partition: number;
  offset: string;
  /** When the relay had published it before (null: never). */
  previouslyPublishedAt: string | null;
}

export interface PublishAllOptions {
  batchSize: number;
  /** Also republish rows the relay already published (all of them, or those since `since`). */
  forceRetry?: boolean;
  since?: Date;
}

export interface PublishAllResult {
  published: number;
  republished: number;
  batches: number;
  byContext: Record<OutboxContext, number>;
}

export interface OutboxEventView {
  context: OutboxContext;
  eventId: string;
  aggregateType: string;
  aggregateId: string;
  eventType: string;
  schemaVersion: number;
  occurredAt: string;
  publishedAt: string | null;
  traceparent: string | null;
  payload: unknown;
}

export interface ContextStats {
  context: OutboxContext;
  total: number;
  published: number;
  unpublished: number;
  oldestUnpublishedAt: string | null;
  lastPublishedAt: string | null;
  unpublishedByType: Record<string, number>;
}

const view = (row: OutboxRow): OutboxEventView => ({
  context: row.context,
  eventId: row.id,
  aggregateType: row.aggregateType,
  aggregateId: row.aggregateId,
  eventType: row.type,
  schemaVersion: row.schemaVersion,
  occurredAt: row.occurredAtText,
  publishedAt: row.publishedAt ? row.publishedAt.toISOString() : null,
  traceparent: row.traceparent,
  payload: JSON.parse(row.payloadText) as unknown,
});

/**
 * The fallback path from the outbox tables to Kafka when Debezium is not available
 * (OUTBOX_RELAY_ENABLED): reads rows with `published_at IS NULL`, publishes each exactly as the
 * Outbox Event Router would (see outbox-wire.ts) and sets `published_at` in the same transaction.
 * Delivery is at least once: a crash after Kafka acknowledged and before the commit publishes the
 * rows again, and an event may arrive through both paths; consumers dedupe by event id.
 */
export class OutboxRelay {
  /** Without a producer only the reading methods (listUnpublished, stats) work. */
  constructor(
    private readonly dbs: RelayDbs,
    private readonly producer?: Producer,
    private readonly logger?: Logger,
  ) {}

  private db(context: OutboxContext): RawDb {
    return this.dbs[context];
  }

  private async send(rows: OutboxRow[]): Promise<RecordMetadata[]> {
    if (rows.length === 0) return [];
    if (!this.producer) throw new Error('this outbox relay has no Kafka producer');
    const byTopic = new Map<string, ReturnType<typeof outboxMessage>['message'][]>();
    for (const row of rows) {
      const { topic, message } = outboxMessage(row);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    }
    return this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  private async select(tx: RawTx, context: OutboxContext, where: string, tail: string, ...values: unknown[]) {
    const rows = await tx.$queryRawUnsafe<Omit<OutboxRow, 'context'>[]>(
      `SELECT ${OUTBOX_ROW_COLUMNS} FROM outbox WHERE ${where} ${tail}`,
      ...values,
    );
    return rows.map((row): OutboxRow => ({ ...row, context }));
  }

  private async markPublished(tx: RawTx, rows: OutboxRow[]) {
    if (rows.length === 0) return;
    await tx.$executeRawUnsafe(
      'UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])',
      rows.map((r) => r.id),
    );
  }

  /**
   * Publishes up to `batchSize` unpublished rows of one context, oldest first. Without `waitForLock`
   * it returns 0 at once when another relay holds the lock.
   */
  async publishPending(context: OutboxContext, batchSize: number, waitForLock = false): Promise<number> {
    return this.db(context).$transaction(async (tx) => {
      if (waitForLock) {
        await tx.$queryRawUnsafe(RELAY_LOCK_WAIT_SQL);
      } else {
        const [lock] = await tx.$queryRawUnsafe<{ locked: boolean }[]>(RELAY_LOCK_SQL);
        if (!lock?.locked) return 0;
      }
      const rows = await this.select(
        tx,
        context,
        'published_at IS NULL',
        'ORDER BY occurred_at, id LIMIT $1 FOR UPDATE',
        batchSize,
      );
      await this.send(rows);
      await this.markPublished(tx, rows);
      return rows.length;
    }, TRANSACTION_OPTIONS);
  }

  /**
   * Publishes every unpublished row of both contexts in batches; with `forceRetry` it first walks
   * all rows (or those since `since`) and republishes the published ones too.
   */
  async publishAll(options: PublishAllOptions): Promise<PublishAllResult> {
    const result: PublishAllResult = {
      published: 0,
      republished: 0,
      batches: 0,
      byContext: { orders: 0, inventory: 0 },
    };
    for (const context of OUTBOX_CONTEXTS) {
      if (options.forceRetry) {
        let cursor: { at: string; id: string } | undefined;
        for (;;) {
          const batch = await this.db(context).$transaction(async (tx) => {
            await tx.$queryRawUnsafe(RELAY_LOCK_WAIT_SQL);
            const conditions = ['TRUE'];
            const values: unknown[] = [];
            if (options.since) {
              values.push(options.since);
              conditions.push(`occurred_at >= $${values.length}::timestamptz`);
            }
            if (cursor) {
              values.push(cursor.at, cursor.id);
              conditions.push(
                `(occurred_at, id) > ($${values.length - 1}::timestamptz, $${values.length}::uuid)`,
              );
            }
            values.push(options.batchSize);
            const rows = await this.select(
              tx,
              context,
              conditions.join(' AND '),
              `ORDER BY occurred_at, id LIMIT $${values.length} FOR UPDATE`,
              ...values,
            );
            await this.send(rows);
            await this.markPublished(tx, rows);
            return rows;
          }, TRANSACTION_OPTIONS);
          if (batch.length === 0) break;
          result.batches += 1;
          result.byContext[context] += batch.length;
          result.published += batch.length;
          result.republished += batch.filter((r) => r.publishedAt !== null).length;
          const last = batch[batch.length - 1]!;
          cursor = { at: last.occurredAtText, id: last.id };
          if (batch.length < options.batchSize) break;
        }
      }
      // Rows that committed behind the walk's cursor, or all pending rows without forceRetry.
      for (;;) {
        const count = await this.publishPending(context, options.batchSize, true);
        if (count === 0) break;
        result.batches += 1;
        result.byContext[context] += count;
        result.published += count;
        if (count < options.batchSize) break;
      }
    }
    this.logger?.info(result, 'outbox relay: publish-all done');
    return result;
  }

  /** Publishes one outbox row now (again, if it was published before); undefined if no such event. */
  async publishOne(eventId: string): Promise<PublishedEvent | undefined> {
    if (!OUTBOX_ID_PATTERN.test(eventId)) return undefined;
    for (const context of OUTBOX_CONTEXTS) {
      const published = await this.db(context).$transaction(async (tx) => {
        const [row] = await this.select(tx, context, 'id = $1::uuid', 'FOR UPDATE', eventId);
        if (!row) return undefined;
        const [metadata] = await this.send([row]);
        if (!metadata) throw new Error(`kafka acknowledged no record for outbox event ${row.id}`);
        await this.markPublished(tx, [row]);
        const { topic } = outboxMessage(row);
        return {
          context,
          eventId: row.id,
          eventType: row.type,
          topic,
          partition: metadata.partition,
          offset: metadata.baseOffset ?? metadata.offset ?? '',
          previouslyPublishedAt: row.publishedAt ? row.publishedAt.toISOString() : null,
        } satisfies PublishedEvent;
      }, TRANSACTION_OPTIONS);
      if (published) return published;
    }
    return undefined;
  }

  /** Unpublished rows of both contexts (or one), oldest first, one page of them, and their total. */
  async listUnpublished(
    page: number,
    size: number,
    context?: OutboxContext,
  ): Promise<{ content: OutboxEventView[]; total: number }> {
    const contexts = context ? [context] : OUTBOX_CONTEXTS;
    const upTo = (page + 1) * size;
    const parts = await Promise.all(
      contexts.map(async (c) => {
        const db = this.db(c);
        const [rows, [counted]] = await Promise.all([
          this.select(db, c, 'published_at IS NULL', 'ORDER BY occurred_at, id LIMIT $1', upTo),
          db.$queryRawUnsafe<{ count: number }[]>(
            'SELECT count(*)::int AS "count" FROM outbox WHERE published_at IS NULL',
          ),
        ]);
        return { rows, count: counted?.count ?? 0 };
      }),
    );
    const merged = parts
      .flatMap((p) => p.rows)
      .sort((a, b) =>
        a.occurredAtText === b.occurredAtText
          ? a.id.localeCompare(b.id)
          : a.occurredAtText.localeCompare(b.occurredAtText),
      );
    return {
      content: merged.slice(page * size, upTo).map(view),
      total: parts.reduce((sum, p) => sum + p.count, 0),
    };
  }

  async stats(): Promise<ContextStats[]> {
    return Promise.all(
      OUTBOX_CONTEXTS.map(async (context) => {
        const db = this.db(context);
        const [[row], byType] = await Promise.all([
          db.$queryRawUnsafe<
            { total: number; unpublished: number; oldest: Date | null; last: Date | null }[]
          >(`SELECT count(*)::int AS "total",
                    count(*) FILTER (WHERE published_at IS NULL)::int AS "unpublished",
                    min(occurred_at) FILTER (WHERE published_at IS NULL) AS "oldest",
                    max(published_at) AS "last"
               FROM outbox`),
          db.$queryRawUnsafe<{ type: string; count: number }[]>(
            `SELECT type, count(*)::int AS "count" FROM outbox WHERE published_at IS NULL GROUP BY type ORDER BY type`,
          ),
        ]);
        const totals = row ?? { total: 0, unpublished: 0, oldest: null, last: null };
        return {
          context,
          total: totals.total,
          published: totals.total - totals.unpublished,
          unpublished: totals.unpublished,
          oldestUnpublishedAt: totals.oldest ? totals.oldest.toISOString() : null,
          lastPublishedAt: totals.last ? totals.last.toISOString() : null,
          unpublishedByType: Object.fromEntries(byType.map((t) => [t.type, t.count])),
        };
      }),
    );
  }
}

export interface RelayLoopOptions {
  intervalMs: number;
  batchSize: number;
  /** Called after each published batch, e.g. to count it in metrics. */
  onPublished?: (context: OutboxContext, count: number) => void;
}

/** Polls both outboxes every `intervalMs`; a full batch is followed by the next one at once. */
export class OutboxRelayLoop {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly relay: OutboxRelay,
    private readonly options: RelayLoopOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.tick().finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    for (const context of OUTBOX_CONTEXTS) {
      try {
        for (let round = 0; round < 50 && !this.stopped; round++) {
          const count = await this.relay.publishPending(context, this.options.batchSize);
          if (count > 0) this.options.onPublished?.(context, count);
          if (count < this.options.batchSize) break;
        }
      } catch (error) {
        this.logger.warn({ err: error, context }, 'outbox relay: publishing failed; retrying next poll');
      }
    }
  }

  /** Stops polling and waits for a batch in flight, so its rows are marked before the producer goes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }
}

/** The relay as the consumers process runs it when OUTBOX_RELAY_ENABLED (consumers/main.ts). */
export function startOutboxRelay(options: {
  config: AppConfig;
  logger: Logger;
  producer: Producer;
  registry?: Registry;
}): { stop: () => Promise<void> } {
  const { config, logger, producer } = options;
  const dbs: RelayDbs = {
    orders: createOrdersDb(config.ORDERS_DATABASE_URL, 2),
    inventory: createInventoryDb(config.INVENTORY_DATABASE_URL, 2),
  };
  const published = new Counter({
    name: 'trackops_outbox_relay_published_total',
    help: 'outbox rows published by the fallback relay',
    labelNames: ['context'] as const,
    registers: options.registry ? [options.registry] : [],
  });
  const loop = new OutboxRelayLoop(
    new OutboxRelay(dbs, producer, logger),
    {
      intervalMs: config.OUTBOX_RELAY_INTERVAL_MS,
      batchSize: RELAY_BATCH_SIZE,
      onPublished: (context, count) => published.inc({ context }, count),
    },
    logger,
  );
  loop.start();
  logger.info({ intervalMs: config.OUTBOX_RELAY_INTERVAL_MS }, 'outbox relay running (fallback path)');
  return {
    stop: async () => {
      await loop.stop();
      await Promise.allSettled([dbs.orders.$disconnect(), dbs.inventory.$disconnect()]);
    },
  };
}
