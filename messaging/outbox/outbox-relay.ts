import { asVerbatimCopy } from '../../lib/telemetry/verbatim-messages';
import type { Producer, RecordMetadata } from 'kafkajs';
import type { Logger } from '../../lib/logger';
import { sendVerbatim } from '../verbatim-send';
import { listUnpublished, outboxStats, type ContextStats, type OutboxEventView } from './outbox-reads';
import {
  OUTBOX_CONTEXTS,
  OUTBOX_ID_PATTERN,
  outboxMessage,
  type OutboxContext,
  type OutboxRow,
} from './outbox-wire';
import {
  markPublished,
  rawDb,
  RELAY_LOCK_SQL,
  RELAY_LOCK_WAIT_SQL,
  selectOutboxRows,
  TRANSACTION_OPTIONS,
  type RawDb,
  type RelayDbs,
} from './relay-sql';

export type { ContextStats, OutboxEventView } from './outbox-reads';
export type { RelayDbs } from './relay-sql';

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
    return rawDb(this.dbs, context);
  }

  private async send(rows: OutboxRow[]): Promise<RecordMetadata[]> {
    if (rows.length === 0) return [];
    if (!this.producer) throw new Error('this outbox relay has no Kafka producer');
    const byTopic = new Map<string, ReturnType<typeof outboxMessage>['message'][]>();
    for (const row of rows) {
      const { topic, message } = outboxMessage(row);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), asVerbatimCopy(message)]);
    }
    const producer = this.producer;
    return sendVerbatim(() =>
      producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      }),
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
      const rows = await selectOutboxRows(
        tx,
        context,
        'published_at IS NULL',
        'ORDER BY occurred_at, id LIMIT $1 FOR UPDATE',
        batchSize,
      );
      await this.send(rows);
      await markPublished(tx, rows);
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
            const rows = await selectOutboxRows(
              tx,
              context,
              conditions.join(' AND '),
              `ORDER BY occurred_at, id LIMIT $${values.length} FOR UPDATE`,
              ...values,
            );
            await this.send(rows);
            await markPublished(tx, rows);
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
        const [row] = await selectOutboxRows(tx, context, 'id = $1::uuid', 'FOR UPDATE', eventId);
        if (!row) return undefined;
        const [metadata] = await this.send([row]);
        if (!metadata) throw new Error(`kafka acknowledged no record for outbox event ${row.id}`);
        await markPublished(tx, [row]);
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
    return listUnpublished(this.dbs, page, size, context);
  }

  async stats(): Promise<ContextStats[]> {
    return outboxStats(this.dbs);
  }
}
