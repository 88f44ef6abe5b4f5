import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  createItem,
  deleteItem,
  DuplicateProductError,
  InvalidItemError,
  inventoryHealth,
  inventoryItemView,
  ITEM_SORT_FIELDS,
  listItems,
  listReservations,
  ProductInUseError,
  ProductNotFoundError,
  RESERVATION_SORT_FIELDS,
  RESERVATION_STATUSES,
  reservationView,
  StaleVersionError,
  updateItem,
} from '../../domain/inventory/catalog';
import { InsufficientStockError, reserveStock, UnknownProductError } from '../../domain/inventory/stock';
import { loadInventoryItemEntry } from '../cache/entries';
import { inventoryItemKey } from '../cache/keys';
import { cacheFromConfig, type VersionedCache } from '../cache/versioned-cache';
import type { ApiDependencies } from '../dependencies';
import { ApiError, badRequest, conflict, notFound } from '../errors';
import { parsePageRequest, toPage } from '../pagination';
import { traceparentOf } from '../request-context';
import { parseOrThrow } from '../validation';

// ---------------------------------------------------------------------------------------------
// Request schemas
// ---------------------------------------------------------------------------------------------

/** Upper bound for any stock quantity: far below int4's limit, so sums of them cannot overflow it. */
export const MAX_STOCK_QUANTITY = 100_000_000;
/** A manual hold may last at most this long. */
export const MAX_HOLD_MS = 30 * 24 * 60 * 60 * 1000;
/** unit_price is DECIMAL(12,2): ten integer digits. */
const MAX_PRICE_INTEGER_DIGITS = 10;

const text = (max: number) =>
  z.string({ error: 'must be a string' }).trim().min(1, 'must not be blank').max(max);

export const productIdSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be blank')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, _ and -');

const quantity = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must not be negative')
  .max(MAX_STOCK_QUANTITY, `must be at most ${MAX_STOCK_QUANTITY}`);

/**
 * A positive price with at most two decimal places, as a JSON number or a decimal string. The
 * number's shortest decimal form is what gets checked, so 19.99 is accepted and 0.1 + 0.2 is not;
 * the result is a decimal string handed to Prisma.Decimal, never a float.
 */
export const priceSchema = z
  .union([z.number(), z.string()], {
    error: (issue) =>
      issue.input === undefined ? 'is required' : 'must be a number or a decimal string such as "19.99"',
  })
  .transform((value, ctx) => {
    const textForm = typeof value === 'number' ? String(value) : value.trim();
    const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(textForm);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: 'must be a decimal number such as 19.99' });
      return z.NEVER;
    }
    const [, minus, whole = '', fraction = ''] = match;
    if (fraction.length > 2) {
      ctx.addIssue({ code: 'custom', message: 'must have at most 2 decimal places' });
      return z.NEVER;
    }
    if (minus || !/[1-9]/.test(whole + fraction)) {
      ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
      return z.NEVER;
    }
    if (whole.replace(/^0+(?=\d)/, '').length > MAX_PRICE_INTEGER_DIGITS) {
      ctx.addIssue({ code: 'custom', message: `must be less than 1e${MAX_PRICE_INTEGER_DIGITS}` });
      return z.NEVER;
    }
    return fraction ? `${whole}.${fraction}` : whole;
  });

const levelsInOrder = (value: { minStockLevel?: number; maxStockLevel?: number }) =>
  value.minStockLevel === undefined ||
  value.maxStockLevel === undefined ||
  value.minStockLevel <= value.maxStockLevel;
const levelsMessage = { message: 'must not be greater than maxStockLevel', path: ['minStockLevel'] };

export const createItemSchema = z
  .strictObject({
    productId: productIdSchema,
    productName: text(255),
    description: text(2000).nullable().optional(),
    availableQuantity: quantity,
    unitPrice: priceSchema,
    category: text(100).nullable().optional(),
    minStockLevel: quantity.optional(),
    maxStockLevel: quantity.optional(),
    reorderQuantity: quantity.optional(),
  })
  .refine(levelsInOrder, levelsMessage);

export const updateItemSchema = z
  .strictObject({
    productName: text(255).optional(),
    description: text(2000).nullable().optional(),
    availableQuantity: quantity.optional(),
    unitPrice: priceSchema.optional(),
    category: text(100).nullable().optional(),
    minStockLevel: quantity.optional(),
    maxStockLevel: quantity.optional(),
    reorderQuantity: quantity.optional(),
    /** Optimistic lock: the version the client last saw; a different current version is a 409. */
    version: z.number({ error: 'must be a number' }).int('must be a whole number').min(0).optional(),
  })
  .refine(levelsInOrder, levelsMessage)
  .refine((value) => Object.keys(value).some((key) => key !== 'version'), {
    message: 'name at least one field to change',
  });

const orderIdSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be blank')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits, _ . : and -');

export const createReservationSchema = z.strictObject({
  productId: productIdSchema,
  quantity: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .positive('must be greater than 0')
    .max(MAX_STOCK_QUANTITY, `must be at most ${MAX_STOCK_QUANTITY}`),
  orderId: orderIdSchema.optional(),
  expiresAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone' })
    .transform((value) => new Date(value))
    .refine((date) => date.getTime() > Date.now(), 'must be in the future')
    .refine((date) => date.getTime() <= Date.now() + MAX_HOLD_MS, 'must be at most 30 days ahead'),
});

const categoryFilterSchema = z.object({ category: text(100).optional() });
const reservationFilterSchema = z.object({
  orderId: orderIdSchema.optional(),
  productId: productIdSchema.optional(),
  status: z
    .enum(RESERVATION_STATUSES, { error: `must be one of ${RESERVATION_STATUSES.join(', ')}` })
    .optional(),
});
const reservationIdSchema = z.uuid('must be a UUID');

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

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
  if (error instanceof InvalidItemError) {
    return badRequest('invalid request body', [
      { field: error.field, rejectedValue: error.rejectedValue, message: error.message },
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

// ---------------------------------------------------------------------------------------------
// Router
// ---------------------------------------------------------------------------------------------

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
      const orderId = body.orderId ?? `manual-${randomUUID()}`;

      // reserveStock is idempotent per order id: a repeat of the same hold returns the first one,
      // a different hold under an id already in use is refused.
      if (body.orderId !== undefined) {
        const existing = await db.inventoryReservation.findMany({ where: { orderId } });
        if (existing.length > 0) {
          const [first] = existing;
          if (
            existing.length === 1 &&
            first &&
            first.productId === body.productId &&
            first.quantity === body.quantity
          ) {
            res.status(200).json(reservationView(first));
            return;
          }
          throw conflict(`orderId ${orderId} already holds different reservations`);
        }
      }

      // Checked up front so a plainly refused hold writes nothing (reserveStock records a
      // RESERVATION_FAILED event when it refuses); reserveStock re-checks atomically.
      const item = await db.inventoryItem.findUnique({
        where: { productId: body.productId },
        select: { availableQuantity: true },
      });
      const unknownProduct = () =>
        badRequest('reservation refers to an unknown product', [
          { field: 'productId', rejectedValue: body.productId, message: 'no such inventory item' },
        ]);
      if (!item) throw unknownProduct();
      if (item.availableQuantity < body.quantity) {
        throw conflict(
          `insufficient stock for ${body.productId}: requested ${body.quantity}, available ${item.availableQuantity}`,
        );
      }

      let ids: string[];
      try {
        ids = await reserveStock(db, orderId, [{ productId: body.productId, quantity: body.quantity }], {
          expiresAt: body.expiresAt,
          traceparent: traceparentOf(req),
        });
      } catch (error) {
        if (error instanceof UnknownProductError) throw unknownProduct();
        throw error;
      }
      const [id] = ids;
      if (id === undefined) throw new Error(`reserveStock returned no reservation for ${orderId}`);
      await refreshItem(body.productId);
      const reservation = await db.inventoryReservation.findUniqueOrThrow({ where: { id } });
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
      const reservation = await db.inventoryReservation.findUnique({ where: { id } });
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
