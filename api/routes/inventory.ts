import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import {
  createItem,
  deleteItem,
  DuplicateProductError,
  findReservation,
  InvalidItemError,
  inventoryHealth,
  inventoryItemView,
  ITEM_SORT_FIELDS,
  listItems,
  listReservations,
  ProductInUseError,
  ProductNotFoundError,
  RESERVATION_SORT_FIELDS,
  reservationView,
  StaleVersionError,
  updateItem,
} from '../../domain/inventory/catalog';
import { HoldConflictError, placeManualHold } from '../../domain/inventory/manual-holds';
import { InsufficientStockError, UnknownProductError } from '../../domain/inventory/stock';
import { loadInventoryItemEntry } from '../../cache/entries';
import { inventoryItemKey } from '../../cache/keys';
import { cacheFromConfig, type VersionedCache } from '../../cache/versioned-cache';
import { requireRole } from '../auth/middleware';
import type { ApiDependencies } from '../dependencies';
import { ApiError, badRequest, conflict, notFound } from '../errors';
import {
  categoryFilterSchema,
  createItemSchema,
  createReservationSchema,
  productIdSchema,
  reservationFilterSchema,
  reservationIdSchema,
  updateItemSchema,
} from '../inventory-schemas';
import { parsePageRequest, toPage } from '../pagination';
import { traceparentOf } from '../request-context';
import { parseOrThrow } from '../validation';

/** A request body: an unknown field is reported under its own name, the body as a whole as `body`. */
const parseBody = <S extends z.ZodType>(schema: S, input: unknown): z.infer<S> =>
  parseOrThrow(schema, input, 'request body', 'body');

/** Domain errors to HTTP; anything else is left for the error handler (500). */
function toApiError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof ProductNotFoundError) return notFound(error.message);
  if (error instanceof DuplicateProductError) return conflict(error.message);
  if (error instanceof StaleVersionError) return conflict(error.message);
  if (error instanceof ProductInUseError) return conflict(error.message);
  if (error instanceof InsufficientStockError) return conflict(error.message);
  if (error instanceof HoldConflictError) return conflict(error.message);
  if (error instanceof InvalidItemError) {
    return badRequest('invalid request body', [
      { field: error.field, rejectedValue: error.rejectedValue, message: error.message },
    ]);
  }
  // Only a hold names a product that must already exist.
  if (error instanceof UnknownProductError) {
    return badRequest('reservation refers to an unknown product', [
      { field: 'productId', rejectedValue: error.productId, message: 'no such inventory item' },
    ]);
  }
  return error;
}

type Handler = (req: Request, res: Response) => Promise<void>;
const mapped =
  (handler: Handler): Handler =>
  async (req, res) => {
    try {
      await handler(req, res);
    } catch (error) {
      throw toApiError(error);
    }
  };

const productIdParam = (req: Request) => parseOrThrow(productIdSchema, req.params.productId, 'productId');

/**
 * Inventory catalogue, manual stock holds and the stock health summary, under /api/inventory.
 * GET of one item is read through the cache; the writes here update or retire the cached item
 * synchronously (the CDC cache consumer covers the changes made elsewhere, e.g. by the saga).
 */
export function createInventoryRouter(
  deps: ApiDependencies,
  cache: VersionedCache = cacheFromConfig(deps.redis, deps.config, deps.logger),
): Router {
  const router = Router();
  const db = deps.inventoryDb;
  /** The item changed here: store its current row, fencing out anything older. */
  const refreshItem = (productId: string) =>
    cache.quietly('refresh inventory item', async () => {
      const entry = await loadInventoryItemEntry(db, productId);
      if (entry) await cache.set(inventoryItemKey(productId), entry, { raiseFence: true });
    });

  // The catalogue is readable by every signed-in caller; stock, holds and their summary are staff only.
  const catalogueReaders = requireRole('customer', 'operator', 'carrier');
  const staff = requireRole('operator');
  router.use('/items', (req, res, next) => (req.method === 'GET' ? catalogueReaders : staff)(req, res, next));
  router.use(['/reservations', '/health'], staff);

  router.post(
    '/items',
    mapped(async (req, res) => {
      const body = parseBody(createItemSchema, req.body);
      const item = await createItem(db, body, traceparentOf(req));
      res
        .status(201)
        .location(`/api/inventory/items/${encodeURIComponent(item.productId)}`)
        .json(inventoryItemView(item));
    }),
  );

  router.get(
    '/items',
    mapped(async (req, res) => {
      const page = parsePageRequest(req.query, ITEM_SORT_FIELDS, 'productId,asc');
      const filter = parseOrThrow(categoryFilterSchema, req.query, 'query');
      const { items, total } = await listItems(db, { ...page, ...filter });
      res.json(toPage(items.map(inventoryItemView), total, page));
    }),
  );

  router.get(
    '/items/:productId',
    mapped(async (req, res) => {
      const productId = productIdParam(req);
      const view = await cache.get(inventoryItemKey(productId), () => loadInventoryItemEntry(db, productId));
      if (!view) throw new ProductNotFoundError(productId);
      res.json(view);
    }),
  );

  router.put(
    '/items/:productId',
    mapped(async (req, res) => {
      const productId = productIdParam(req);
      const { version, ...changes } = parseBody(updateItemSchema, req.body);
      const result = await updateItem(db, productId, changes, version, traceparentOf(req));
      const view = inventoryItemView(result.item);
      if (result.changedFields.length > 0) {
        await cache.quietly('write through inventory item', () =>
          cache.set(
            inventoryItemKey(productId),
            { version: result.item.version, value: view },
            { raiseFence: true },
          ),
        );
      }
      res.json(view);
    }),
  );

  router.delete(
    '/items/:productId',
    mapped(async (req, res) => {
      const productId = productIdParam(req);
      const deleted = await deleteItem(db, productId, traceparentOf(req));
      // Every version of the deleted row is stale from now on.
      await cache.quietly('invalidate inventory item', () =>
        cache.invalidate(inventoryItemKey(productId), deleted.version + 1),
      );
      res.status(204).end();
    }),
  );

  router.post(
    '/reservations',
    mapped(async (req, res) => {
      const body = parseBody(createReservationSchema, req.body);
      const { reservation, created } = await placeManualHold(db, body, traceparentOf(req));
      if (!created) {
        res.status(200).json(reservationView(reservation));
        return;
      }
      await refreshItem(reservation.productId);
      res
        .status(201)
        .location(`/api/inventory/reservations/${reservation.id}`)
        .json(reservationView(reservation));
    }),
  );

  router.get(
    '/reservations',
    mapped(async (req, res) => {
      const page = parsePageRequest(req.query, RESERVATION_SORT_FIELDS, 'createdAt,desc');
      const filter = parseOrThrow(reservationFilterSchema, req.query, 'query');
      const { items, total } = await listReservations(db, { ...page, ...filter });
      res.json(toPage(items.map(reservationView), total, page));
    }),
  );

  router.get(
    '/reservations/:id',
    mapped(async (req, res) => {
      const id = parseOrThrow(reservationIdSchema, req.params.id, 'id');
      const reservation = await findReservation(db, id);
      if (!reservation) throw notFound(`reservation ${id} not found`);
      res.json(reservationView(reservation));
    }),
  );

  router.get(
    '/health',
    mapped(async (req, res) => {
      const filter = parseOrThrow(categoryFilterSchema, req.query, 'query');
      res.json(await inventoryHealth(db, filter));
    }),
  );

  return router;
}
