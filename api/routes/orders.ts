import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import {
  findOrder,
  IdempotencyKeyReusedError,
  priceOrder,
  requestFingerprint,
  UnknownProductsError,
} from '../../domain/orders/place-order';
import { orderItemView, orderView } from '../../domain/orders/order-view';
import { isCancellable, type PlacedOrder, type PlacementAnswer } from '../../workflows/contract';
import { loadOrderEntry } from '../../cache/entries';
import { listQueryHash, ORDERS_GENERATION_KEY, ORDERS_LIST_PREFIX, orderKey } from '../../cache/keys';
import { cacheFromConfig, type VersionedCache } from '../../cache/versioned-cache';
import { durationMs } from '../../lib/config';
import type { ApiDependencies } from '../dependencies';
import { badRequest, conflict, notFound, unavailable } from '../errors';
import {
  createOrderSchema,
  idempotencyKeySchema,
  orderIdSchema,
  orderListFilterSchema,
  statusChangeSchema,
} from '../order-schemas';
import { parsePageRequest, toPage } from '../pagination';
import { sagaInputFor } from '../saga-input';
import { OrderNotPlacedError, SagaClient, SagaNotRunningError, SagaRefusedError } from '../saga-client';
import { traceparentOf } from '../request-context';
import { parseOrThrow } from '../validation';

const SORT_FIELDS = ['createdAt', 'updatedAt', 'totalAmount', 'status', 'customerId'] as const;

const replayOf = (placed: PlacedOrder | undefined) => placed && { ...placed, replayed: true };

/** A 400 naming each line whose product inventory does not know. */
function unknownProducts(items: { productId: string }[], error: UnknownProductsError) {
  return badRequest(
    'order refers to unknown products',
    items.flatMap((item, index) =>
      error.productIds.includes(item.productId)
        ? [{ field: `items.${index}.productId`, rejectedValue: item.productId, message: 'unknown product' }]
        : [],
    ),
  );
}

/**
 * The seed system's order endpoints, carried by the order saga. GET by id and list pages are read
 * through the cache; the CDC cache consumer invalidates and re-warms them when rows change, and the
 * writes made here synchronously retire what they change.
 */
export function createOrdersRouter(
  deps: ApiDependencies,
  cache: VersionedCache = cacheFromConfig(deps.redis, deps.config, deps.logger),
): Router {
  const router = Router();
  const sagas = new SagaClient(
    deps.temporal,
    deps.config.TEMPORAL_TASK_QUEUE,
    durationMs(deps.config.ORDER_PLACEMENT_TIMEOUT),
  );
  const { ordersDb, inventoryDb } = deps;

  const loadOrder = async (rawId: string) => {
    const id = parseOrThrow(orderIdSchema, rawId, 'id');
    const order = await ordersDb.order.findUnique({ where: { id } });
    if (!order) throw notFound(`order ${id} not found`);
    return order;
  };

  router.post('/', async (req, res) => {
    const rawKey = req.header('idempotency-key');
    const idempotencyKey =
      rawKey === undefined ? undefined : parseOrThrow(idempotencyKeySchema, rawKey, 'Idempotency-Key');
    const body = parseOrThrow(createOrderSchema, req.body, 'order');
    const request = { ...body, idempotencyKey };
    const fingerprint = requestFingerprint(request);
    const earlierOrder = async () =>
      idempotencyKey ? replayOf(await findOrder(ordersDb, { idempotencyKey })) : undefined;
    const place = async (): Promise<PlacementAnswer | undefined> => {
      const priced = await priceOrder(inventoryDb, request).catch(async (error: unknown) => {
        if (!(error instanceof UnknownProductsError)) throw error;
        // A retry of an order whose product has left the catalogue since still gets its order.
        const earlier = await earlierOrder();
        if (!earlier) throw unknownProducts(body.items, error);
        return earlier;
      });
      if ('order' in priced) return priced;
      const traceparent = traceparentOf(req);
      const input = sagaInputFor(priced, {
        paymentMethod: body.paymentMethod ?? 'tok_visa',
        shipmentSla: deps.config.SHIPMENT_SLA,
        backorderTimeout: deps.config.BACKORDER_TIMEOUT,
        requestId: randomUUID(),
        ...(traceparent ? { traceparent } : {}),
      });
      return sagas.place(input, input.draft.requestId).then(
        // A completed saga is not run again: the order it wrote is in the database.
        async (answer) => answer ?? replayOf(await findOrder(ordersDb, priced.orderId)),
        async (error: unknown) => {
          // The key belongs to an order written before sagas wrote their own orders.
          if (error instanceof OrderNotPlacedError && error.idempotencyKeyTaken) return earlierOrder();
          if (error instanceof OrderNotPlacedError) return undefined;
          throw error;
        },
      );
    };
    const placed = await place();
    if (!placed) throw unavailable('the order could not be stored; retry with the same Idempotency-Key');
    if (idempotencyKey && placed.requestFingerprint !== fingerprint) {
      throw conflict(new IdempotencyKeyReusedError().message);
    }
    if (placed.replayed) {
      res.setHeader('Idempotent-Replayed', 'true');
    } else {
      // A new order may belong on any cached list page.
      await cache.quietly('bump order list generation', () => cache.bumpGeneration(ORDERS_GENERATION_KEY));
    }
    res.status(201).location(`/api/orders/${placed.order.id}`).json(placed.order);
  });

  router.get('/', async (req, res) => {
    const page = parsePageRequest(req.query, SORT_FIELDS, 'createdAt,desc');
    const filter = parseOrThrow(orderListFilterSchema, req.query, 'query');
    const where = {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.customerId ? { customerId: filter.customerId } : {}),
    };
    const queryHash = listQueryHash({ ...page, status: filter.status, customerId: filter.customerId });
    const body = await cache.getPage(ORDERS_GENERATION_KEY, ORDERS_LIST_PREFIX, queryHash, async () => {
      const [orders, total] = await Promise.all([
        ordersDb.order.findMany({
          where,
          orderBy: [{ [page.sortField]: page.sortDirection }, { id: 'asc' }],
          skip: page.page * page.size,
          take: page.size,
        }),
        ordersDb.order.count({ where }),
      ]);
      return toPage(
        orders.map((o) => orderView(o)),
        total,
        page,
      );
    });
    res.json(body);
  });

  router.get('/:id', async (req, res) => {
    const id = parseOrThrow(orderIdSchema, req.params.id, 'id');
    const view = await cache.get(orderKey(id), () => loadOrderEntry(ordersDb, id));
    if (!view) throw notFound(`order ${id} not found`);
    res.json(view);
  });

  router.get('/:id/items', async (req, res) => {
    const order = await loadOrder(req.params.id);
    const items = await ordersDb.orderItem.findMany({
      where: { orderId: order.id },
      orderBy: { productId: 'asc' },
    });
    res.json(items.map(orderItemView));
  });

  router.put('/:id/status', async (req, res) => {
    const order = await loadOrder(req.params.id);
    const { newStatus } = parseOrThrow(statusChangeSchema, req.body, 'status change');
    try {
      await sagas.changeStatus(order.id, { newStatus, source: 'api' });
    } catch (error) {
      if (error instanceof SagaRefusedError) throw conflict(error.message);
      if (error instanceof SagaNotRunningError)
        throw conflict(`order is ${order.status}; it cannot become ${newStatus}`);
      throw error;
    }
    const updated = await ordersDb.order.findUniqueOrThrow({ where: { id: order.id } });
    // The saga has recorded the change: the client's next read must not see the old status.
    await cache.quietly('invalidate order', () =>
      cache.invalidate(orderKey(order.id), updated.version, { generationKey: ORDERS_GENERATION_KEY }),
    );
    res.json(orderView(updated));
  });

  router.delete('/:id', async (req, res) => {
    const order = await loadOrder(req.params.id);
    if (order.status !== 'CANCELLED' && !isCancellable(order.status))
      throw conflict(`order is ${order.status} and can no longer be cancelled`);
    try {
      const saga = await sagas.cancel(order.id, { reason: 'CUSTOMER_REQUEST' });
      res.status(202).json({ orderId: order.id, status: 'CANCELLATION_REQUESTED', saga });
    } catch (error) {
      if (error instanceof SagaRefusedError) throw conflict(error.message);
      if (error instanceof SagaNotRunningError) {
        if (order.status === 'CANCELLED') {
          res.status(202).json({ orderId: order.id, status: 'CANCELLED' });
          return;
        }
        throw conflict(`order is ${order.status} and can no longer be cancelled`);
      }
      throw error;
    }
  });

  router.get('/:id/saga', async (req, res) => {
    const order = await loadOrder(req.params.id);
    try {
      res.json(await sagas.state(order.id));
    } catch (error) {
      if (error instanceof SagaNotRunningError) throw notFound(`no saga found for order ${order.id}`);
      throw error;
    }
  });

  return router;
}
