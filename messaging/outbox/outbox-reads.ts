import { OUTBOX_CONTEXTS, type OutboxContext, type OutboxRow } from './outbox-wire';
import { rawDb, selectOutboxRows, type RelayDbs } from './relay-sql';

/*
 * What the outbox tables hold, for `GET /api/events/unprocessed` and `GET /api/events/stats`:
 * reads only, no lock and no producer.
 */

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

/** Unpublished rows of both contexts (or one), oldest first, one page of them, and their total. */
export async function listUnpublished(
  dbs: RelayDbs,
  page: number,
  size: number,
  context?: OutboxContext,
): Promise<{ content: OutboxEventView[]; total: number }> {
  const contexts = context ? [context] : OUTBOX_CONTEXTS;
  const upTo = (page + 1) * size;
  const parts = await Promise.all(
    contexts.map(async (c) => {
      const db = rawDb(dbs, c);
      const [rows, [counted]] = await Promise.all([
        selectOutboxRows(db, c, 'published_at IS NULL', 'ORDER BY occurred_at, id LIMIT $1', upTo),
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

/** Row counts per context, the oldest unpublished row and the unpublished rows per event type. */
export async function outboxStats(dbs: RelayDbs): Promise<ContextStats[]> {
  return Promise.all(
    OUTBOX_CONTEXTS.map(async (context) => {
      const db = rawDb(dbs, context);
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
