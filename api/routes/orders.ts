import { Router, type Request } from 'express';
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
import { canSeeOrder } from '../auth/principal';
import { requirePrincipal, requireRole } from '../auth/middleware';
import type { ApiDependencies } from '../dependencies';
import { trackingToken } from '../tracking/tracking-token';
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

export const ORDER_SORT_FIELDS = ['createdAt', 'updatedAt', 'totalAmount', 'status', 'customerId'] as const;

/** Who may read an order: its customer, operators and admins; carriers report, they do not read. */
const readers = requireRole('customer', 'operator');

/** The order with the token that opens its tracking page and stream (api/tracking/). */
const withTrackingToken = <T extends { id: string }>(order: T, secret: string) => ({
  ...order,
  trackingToken: trackingToken(secret, order.id),
});

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

  /** Another customer's order is not found, exactly like an order that does not exist. */
  const loadOrder = async (req: Request) => {
    const id = parseOrThrow(orderIdSchema, req.params.id, 'id');
    const order = await ordersDb.order.findUnique({ where: { id } });
    if (!order || !canSeeOrder(requirePrincipal(req), order.customerId))
      throw notFound(`order ${id} not found`);
    return order;
  };

  router.post('/', readers, async (req, res) => {
    const principal = requirePrincipal(req);
    const rawKey = req.header('idempotency-key');
    const idempotencyKey =
      rawKey === undefined ? undefined : parseOrThrow(idempotencyKeySchema, rawKey, 'Idempotency-Key');
    // A customer orders for themselves: the token names the customer, whatever the body says.
    const submitted: unknown =
      principal.customerId !== undefined &&
      typeof req.body === 'object' &&
      req.body !== null &&
      !Array.isArray(req.body)
        ? { ...(req.body as object), customerId: principal.customerId }
        : req.body;
    const body = parseOrThrow(createOrderSchema, submitted, 'order');
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
    res
      .status(201)
      .location(`/api/orders/${placed.order.id}`)
      .json(withTrackingToken(placed.order, deps.config.TRACKING_TOKEN_SECRET));
  });

  router.get('/', readers, async (req, res) => {
    const page = parsePageRequest(req.query, ORDER_SORT_FIELDS, 'createdAt,desc');
    const requested = parseOrThrow(orderListFilterSchema, req.query, 'query');
    const { customerId } = requirePrincipal(req);
    const filter = customerId === undefined ? requested : { ...requested, customerId };
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

  router.get('/:id', readers, async (req, res) => {
    const id = parseOrThrow(orderIdSchema, req.params.id, 'id');
    const view = await cache.get(orderKey(id), () => loadOrderEntry(ordersDb, id));
    if (!view || !canSeeOrder(requirePrincipal(req), view.customerId))
      throw notFound(`order ${id} not found`);
    // Its customer (and operators) may always fetch the order's tracking link again.
    res.json(withTrackingToken(view, deps.config.TRACKING_TOKEN_SECRET));
  });

  router.get('/:id/items', readers, async (req, res) => {
    const order = await loadOrder(req);
    const items = await ordersDb.orderItem.findMany({
      where: { orderId: order.id },
      orderBy: { productId: 'asc' },
    });
    res.json(items.map(orderItemView));
  });

  router.put('/:id/status', requireRole('operator'), async (req, res) => {
    const order = await loadOrder(req);
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

  router.delete('/:id', readers, async (req, res) => {
    const order = await loadOrder(req);
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

  router.get('/:id/saga', readers, async (req, res) => {
    const order = await loadOrder(req);
    try {
      res.json(await sagas.state(order.id));
    } catch (error) {
      if (error instanceof SagaNotRunningError) throw notFound(`no saga found for order ${order.id}`);
      throw error;
    }
  });

  return router;
}
