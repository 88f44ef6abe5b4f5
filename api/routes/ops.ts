import { Router } from 'express';
import { Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { asDlqTopic, countAllDlqs, replayDlq, UnknownDlqTopicError } from '../../messaging/dlq/dlq';
import { requireRole } from '../auth/middleware';
import type { ApiDependencies } from '../dependencies';
import { notFound, unavailable } from '../errors';
import { orderListFilterSchema } from '../order-schemas';
import { parseOrThrow } from '../validation';
import { orderWorkflowId } from '../../workflows/contract';

const RECENT_ORDERS = 50;
const LOW_STOCK_ITEMS = 50;
/** Saga compensation events: what the outbox tables still hold of them (OUTBOX_RETENTION). */
const ORDER_COMPENSATIONS = ['PAYMENT_VOIDED', 'PAYMENT_REFUNDED'];
const INVENTORY_COMPENSATIONS = ['INVENTORY_RELEASED'];
/** An order's trace search covers the traces begun from this long before its placement... */
const TRACE_SEARCH_BEFORE_MS = 3_600_000;
/** ...to this long after it: shipping, delivery and late operator actions. */
const TRACE_SEARCH_AFTER_MS = 7 * 24 * 3_600_000;
/** The most traces the search lists (placement, then later requests and signals about the order). */
const TRACE_SEARCH_LIMIT = 10;

/**
 * The order's traces in Zipkin's UI (Lens): a search for the spans tagged with its workflow id
 * (Temporal's interceptors tag the client calls, the workflow and each activity), over a fixed
 * range around the order's placement, so the link finds the same traces whenever it is opened. Lens
 * runs a search from its URL only with a lookback it knows (`range` with `startTs` and `endTs`, in
 * milliseconds) and a limit; it asks Zipkin's API for `lookback = endTs - startTs`.
 */
function orderTraceUrl(traceUi: string, orderId: string, createdAt: Date): string {
  const query = new URLSearchParams({
    annotationQuery: `temporalWorkflowId=${orderWorkflowId(orderId)}`,
    lookback: 'range',
    startTs: String(createdAt.getTime() - TRACE_SEARCH_BEFORE_MS),
    endTs: String(createdAt.getTime() + TRACE_SEARCH_AFTER_MS),
    limit: String(TRACE_SEARCH_LIMIT),
  });
  return `${traceUi.replace(/\/$/, '')}/?${query.toString()}`;
}

export const dlqReplayRequestSchema = z.object({
  topic: z.string().min(1).max(200),
  limit: z.number().int().min(1).max(1000).optional(),
});

/**
 * The operator view's data (`/ops` renders it): `GET /api/ops/overview` with recent orders (status
 * and customer filters), counts by status, compensations, dead letters and low stock, and
 * `POST /api/ops/dlq/replay` to re-publish one topic's dead letters. Operators only. Each order links
 * to its saga in the Temporal Web UI and to its traces in Zipkin's.
 */
export function createOpsRouter(deps: ApiDependencies, kafka?: Kafka): Router {
  const router = Router();
  const { ordersDb, inventoryDb, config } = deps;
  const client =
    kafka ??
    new Kafka({
      clientId: 'trackops-api-ops',
      brokers: config.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 1 },
    });
  router.use(requireRole('operator'));

  const deadLetters = async () => {
    const admin = client.admin();
    try {
      await admin.connect();
      const topics = await countAllDlqs(admin);
      return { totalPending: topics.reduce((sum, t) => sum + t.pending, 0), topics };
    } catch (error) {
      deps.logger.warn({ err: error }, 'ops view: dead-letter counts unavailable');
      return undefined;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  router.get('/overview', async (req, res) => {
    const filter = parseOrThrow(orderListFilterSchema, req.query, 'query');
    const where = {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.customerId ? { customerId: filter.customerId } : {}),
    };
    const [orders, byStatus, orderCompensations, inventoryCompensations, lowStock, dlq] = await Promise.all([
      ordersDb.order.findMany({ where, orderBy: { createdAt: 'desc' }, take: RECENT_ORDERS }),
      ordersDb.order.groupBy({ by: ['status'], _count: { _all: true } }),
      ordersDb.outboxEvent.groupBy({
        by: ['type'],
        where: { type: { in: ORDER_COMPENSATIONS } },
        _count: { _all: true },
      }),
      inventoryDb.outboxEvent.groupBy({
        by: ['type'],
        where: { type: { in: INVENTORY_COMPENSATIONS } },
        _count: { _all: true },
      }),
      inventoryDb.$queryRaw<{ productId: string; productName: string; available: number; minimum: number }[]>`
        SELECT product_id AS "productId", product_name AS "productName",
               available_quantity AS "available", min_stock_level AS "minimum"
        FROM inventory_items WHERE available_quantity <= min_stock_level
        ORDER BY available_quantity, product_id LIMIT ${LOW_STOCK_ITEMS}`,
      deadLetters(),
    ]);
    const temporalUi = config.TEMPORAL_UI_URL.replace(/\/$/, '');
    const namespace = encodeURIComponent(config.TEMPORAL_NAMESPACE);
    res.json({
      countsByStatus: Object.fromEntries(byStatus.map((row) => [row.status, row._count._all])),
      compensations: Object.fromEntries(
        [...orderCompensations, ...inventoryCompensations].map((row) => [row.type, row._count._all]),
      ),
      deadLetters: dlq ?? null,
      lowStock,
      orders: orders.map((order) => ({
        id: order.id,
        customerId: order.customerId,
        status: order.status,
        totalAmount: order.totalAmount.toFixed(2),
        currency: order.currency,
        cancellationReason: order.cancellationReason,
        createdAt: order.createdAt.toISOString(),
        sagaUrl: `${temporalUi}/namespaces/${namespace}/workflows/${encodeURIComponent(orderWorkflowId(order.id))}`,
        traceUrl: orderTraceUrl(config.TRACE_UI_URL, order.id, order.createdAt),
      })),
    });
  });

  router.post('/dlq/replay', async (req, res) => {
    const { topic, limit } = parseOrThrow(dlqReplayRequestSchema, req.body, 'replay');
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
      const result = await replayDlq(client, producer, asDlqTopic(topic), { limit, timeoutMs: 20_000 });
      res.json({
        topic: result.topic,
        replayed: result.replayed.length,
        complete: result.complete,
        after: result.after,
      });
    } catch (error) {
      if (error instanceof UnknownDlqTopicError) throw notFound(error.message);
      throw unavailable('kafka unavailable', error);
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  });

  return router;
}
