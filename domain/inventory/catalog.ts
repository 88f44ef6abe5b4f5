import { AggregateType, EventType, outboxEntry, type JsonObject } from '../events';
import {
  InventoryPrisma,
  type InventoryDb,
  type InventoryItem,
  type InventoryReservation,
  type InventoryTx,
} from './db';
import { writeInventoryOutbox } from './stock';

/*
 * The inventory catalogue: item CRUD, paged reads, the stock health summary and price look-ups for
 * the orders context. Every change writes its outbox row in the transaction that makes it.
 * Reservations themselves live in ./stock.ts.
 */

// ---------------------------------------------------------------------------------------------
// Typed errors (the HTTP layer maps them to 404 / 409 / 400)
// ---------------------------------------------------------------------------------------------

export class ProductNotFoundError extends Error {
  constructor(readonly productId: string) {
    super(`inventory item ${productId} not found`);
    this.name = 'ProductNotFoundError';
  }
}

export class DuplicateProductError extends Error {
  constructor(readonly productId: string) {
    super(`inventory item ${productId} already exists`);
    this.name = 'DuplicateProductError';
  }
}

export class StaleVersionError extends Error {
  constructor(
    readonly productId: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      `inventory item ${productId} was modified concurrently (expected version ${expectedVersion}, current ${currentVersion})`,
    );
    this.name = 'StaleVersionError';
  }
}

export class ProductInUseError extends Error {
  constructor(
    readonly productId: string,
    readonly openReservations: number,
  ) {
    super(
      `inventory item ${productId} is referenced by ${openReservations} active or committed reservation(s)`,
    );
    this.name = 'ProductInUseError';
  }
}

/** A change that is valid on its own but not against the item's current values (e.g. min > max). */
export class InvalidItemError extends Error {
  constructor(
    readonly field: string,
    readonly rejectedValue: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidItemError';
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

export interface NewItem {
  productId: string;
  productName: string;
  description?: string | null;
  category?: string | null;
  availableQuantity: number;
  /** Exact decimal string with at most two places, e.g. "12.5" or "12.50"; never a float. */
  unitPrice: string;
  minStockLevel?: number;
  maxStockLevel?: number;
  reorderQuantity?: number;
}

export type ItemChanges = Partial<Omit<NewItem, 'productId'>>;

export const ITEM_SORT_FIELDS = [
  'productId',
  'productName',
  'availableQuantity',
  'unitPrice',
  'createdAt',
  'updatedAt',
] as const;
export type ItemSortField = (typeof ITEM_SORT_FIELDS)[number];

export const RESERVATION_SORT_FIELDS = [
  'createdAt',
  'updatedAt',
  'expiresAt',
  'orderId',
  'productId',
] as const;
export type ReservationSortField = (typeof RESERVATION_SORT_FIELDS)[number];

export const RESERVATION_STATUSES = ['ACTIVE', 'COMMITTED', 'RELEASED', 'EXPIRED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export interface PageQuery<F extends string> {
  page: number;
  size: number;
  sortField: F;
  sortDirection: 'asc' | 'desc';
}

export interface Paged<T> {
  items: T[];
  total: number;
}

// ---------------------------------------------------------------------------------------------
// Stock rules and views
// ---------------------------------------------------------------------------------------------

type StockLevels = Pick<InventoryItem, 'availableQuantity' | 'minStockLevel' | 'reorderQuantity'>;

/** Low stock: free stock at or below the item's minimum level. */
export const isLowStock = (item: StockLevels) => item.availableQuantity <= item.minStockLevel;
export const isOutOfStock = (item: StockLevels) => item.availableQuantity === 0;
/**
 * Needs reordering: low stock AND a positive reorder quantity. Setting reorderQuantity to 0 marks
 * an item as not to be replenished (discontinued / made to order), so it can be low on stock
 * without showing up on the reorder list.
 */
export const needsReordering = (item: StockLevels) => isLowStock(item) && item.reorderQuantity > 0;

const money = (value: InventoryPrisma.Decimal) => value.toFixed(2);

/** The item as the REST API (and the outbox payloads) show it: money as a two-place string. */
export function inventoryItemView(item: InventoryItem) {
  return {
    productId: item.productId,
    productName: item.productName,
    description: item.description,
    category: item.category,
    availableQuantity: item.availableQuantity,
    reservedQuantity: item.reservedQuantity,
    soldQuantity: item.soldQuantity,
    unitPrice: money(item.unitPrice),
    minStockLevel: item.minStockLevel,
    maxStockLevel: item.maxStockLevel,
    reorderQuantity: item.reorderQuantity,
    isLowStock: isLowStock(item),
    isOutOfStock: isOutOfStock(item),
    needsReordering: needsReordering(item),
    version: item.version,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
  };
}
export type InventoryItemView = ReturnType<typeof inventoryItemView>;

export function reservationView(reservation: InventoryReservation) {
  return {
    id: reservation.id,
    orderId: reservation.orderId,
    productId: reservation.productId,
    quantity: reservation.quantity,
    status: reservation.status,
    expiresAt: reservation.expiresAt?.toISOString() ?? null,
    version: reservation.version,
    createdAt: reservation.createdAt.toISOString(),
    updatedAt: reservation.updatedAt.toISOString(),
  };
}
export type ReservationView = ReturnType<typeof reservationView>;

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

const itemEvent = (productId: string, type: EventType, payload: JsonObject, tp?: string) =>
  outboxEntry(AggregateType.inventory, productId, type, payload, tp);

function isUniqueViolation(error: unknown): boolean {
  if (error instanceof InventoryPrisma.PrismaClientKnownRequestError) return error.code === 'P2002';
  // Raw driver error, should one ever escape the adapter untranslated.
  return (error as { code?: unknown } | null)?.code === '23505';
}

function isForeignKeyViolation(error: unknown): boolean {
  if (error instanceof InventoryPrisma.PrismaClientKnownRequestError) return error.code === 'P2003';
  return (error as { code?: unknown } | null)?.code === '23503';
}

/** Locks the item row for the rest of the transaction; reservations touching it wait for us. */
async function lockItem(tx: InventoryTx, productId: string): Promise<InventoryItem> {
  const locked = await tx.$queryRaw<{ product_id: string }[]>`
    SELECT product_id FROM inventory_items WHERE product_id = ${productId} FOR UPDATE`;
  if (locked.length === 0) throw new ProductNotFoundError(productId);
  const item = await tx.inventoryItem.findUnique({ where: { productId } });
  if (!item) throw new ProductNotFoundError(productId);
  return item;
}

const OPEN_STATUSES: ReservationStatus[] = ['ACTIVE', 'COMMITTED'];

/** Item fields an update copies as given; unitPrice, a decimal, is compared on its own. */
const PLAIN_FIELDS = [
  'productName',
  'description',
  'category',
  'availableQuantity',
  'minStockLevel',
  'maxStockLevel',
  'reorderQuantity',
] as const;

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** Creates an item with INVENTORY_ITEM_CREATED; a taken productId is a DuplicateProductError. */
export async function createItem(
  db: InventoryDb,
  input: NewItem,
  traceparent?: string,
): Promise<InventoryItem> {
  const min = input.minStockLevel ?? 10;
  const max = input.maxStockLevel ?? 1000;
  if (min > max) {
    throw new InvalidItemError(
      input.minStockLevel !== undefined ? 'minStockLevel' : 'maxStockLevel',
      input.minStockLevel ?? input.maxStockLevel,
      `minStockLevel (${min}) must not exceed maxStockLevel (${max})`,
    );
  }
  try {
    return await db.$transaction(async (tx) => {
      const item = await tx.inventoryItem.create({
        data: {
          productId: input.productId,
          productName: input.productName,
          description: input.description ?? null,
          category: input.category ?? null,
          availableQuantity: input.availableQuantity,
          unitPrice: new InventoryPrisma.Decimal(input.unitPrice),
          minStockLevel: min,
          maxStockLevel: max,
          reorderQuantity: input.reorderQuantity ?? 50,
        },
      });
      await writeInventoryOutbox(
        tx,
        itemEvent(item.productId, EventType.InventoryItemCreated, inventoryItemView(item), traceparent),
      );
      return item;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateProductError(input.productId);
    throw error;
  }
}

export interface UpdateResult {
  item: InventoryItem;
  /** Names of the fields whose value changed; empty when the request changed nothing. */
  changedFields: string[];
  restocked: boolean;
}

/**
 * Applies a partial update under a row lock. With `expectedVersion` the update is optimistic: a
 * different current version (someone else, or a reservation, changed the item) is a
 * StaleVersionError and nothing is written. A request that changes nothing writes nothing.
 * Raising availableQuantity also emits INVENTORY_RESTOCKED.
 */
export async function updateItem(
  db: InventoryDb,
  productId: string,
  changes: ItemChanges,
  expectedVersion?: number,
  traceparent?: string,
): Promise<UpdateResult> {
  return db.$transaction(async (tx) => {
    const current = await lockItem(tx, productId);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new StaleVersionError(productId, expectedVersion, current.version);
    }

    const min = changes.minStockLevel ?? current.minStockLevel;
    const max = changes.maxStockLevel ?? current.maxStockLevel;
    if (min > max) {
      const field = changes.minStockLevel !== undefined ? 'minStockLevel' : 'maxStockLevel';
      throw new InvalidItemError(
        field,
        changes[field],
        `minStockLevel (${min}) must not exceed maxStockLevel (${max})`,
      );
    }

    const data: InventoryPrisma.InventoryItemUpdateInput = {};
    const changed: Record<string, { from: string | number | null; to: string | number | null }> = {};
    for (const field of PLAIN_FIELDS) {
      const to = changes[field];
      if (to === undefined || to === current[field]) continue;
      (data as Record<string, unknown>)[field] = to;
      changed[field] = { from: current[field], to };
    }
    if (changes.unitPrice !== undefined) {
      const price = new InventoryPrisma.Decimal(changes.unitPrice);
      if (!price.equals(current.unitPrice)) {
        data.unitPrice = price;
        changed.unitPrice = { from: money(current.unitPrice), to: price.toFixed(2) };
      }
    }

    const changedFields = Object.keys(changed);
    if (changedFields.length === 0) return { item: current, changedFields, restocked: false };

    const item = await tx.inventoryItem.update({
      where: { productId },
      data: { ...data, version: { increment: 1 } },
    });
    await writeInventoryOutbox(
      tx,
      itemEvent(
        productId,
        EventType.InventoryItemUpdated,
        {
          productId,
          changedFields,
          changes: changed,
          previousVersion: current.version,
          item: inventoryItemView(item),
        },
        traceparent,
      ),
    );
    const restocked = item.availableQuantity > current.availableQuantity;
    if (restocked) {
      await writeInventoryOutbox(
        tx,
        itemEvent(
          productId,
          EventType.InventoryRestocked,
          {
            productId,
            previousAvailable: current.availableQuantity,
            available: item.availableQuantity,
            added: item.availableQuantity - current.availableQuantity,
          },
          traceparent,
        ),
      );
    }
    return { item, changedFields, restocked };
  });
}

/**
 * Deletes an item unless ACTIVE or COMMITTED reservations reference it (ProductInUseError). Its
 * finished (RELEASED / EXPIRED) reservation rows go with it, since the foreign key restricts.
 */
export async function deleteItem(
  db: InventoryDb,
  productId: string,
  traceparent?: string,
): Promise<InventoryItem> {
  try {
    return await db.$transaction(async (tx) => {
      const item = await lockItem(tx, productId);
      const open = await tx.inventoryReservation.count({
        where: { productId, status: { in: OPEN_STATUSES } },
      });
      if (open > 0) throw new ProductInUseError(productId, open);
      const purged = await tx.inventoryReservation.deleteMany({ where: { productId } });
      await tx.inventoryItem.delete({ where: { productId } });
      await writeInventoryOutbox(
        tx,
        itemEvent(
          productId,
          EventType.InventoryItemDeleted,
          {
            productId,
            productName: item.productName,
            version: item.version,
            availableQuantity: item.availableQuantity,
            purgedReservations: purged.count,
          },
          traceparent,
        ),
      );
      return item;
    });
  } catch (error) {
    // Belt and braces: the row lock already keeps new reservations out while we check.
    if (isForeignKeyViolation(error)) throw new ProductInUseError(productId, 1);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/** A page of items, optionally of one category; ties broken by productId so paging is stable. */
export async function listItems(
  db: InventoryDb,
  query: PageQuery<ItemSortField> & { category?: string },
): Promise<Paged<InventoryItem>> {
  const where: InventoryPrisma.InventoryItemWhereInput =
    query.category === undefined ? {} : { category: query.category };
  const orderBy: InventoryPrisma.InventoryItemOrderByWithRelationInput[] = [
    { [query.sortField]: query.sortDirection },
  ];
  if (query.sortField !== 'productId') orderBy.push({ productId: 'asc' });
  const [items, total] = await Promise.all([
    db.inventoryItem.findMany({ where, orderBy, skip: query.page * query.size, take: query.size }),
    db.inventoryItem.count({ where }),
  ]);
  return { items, total };
}

export async function listReservations(
  db: InventoryDb,
  query: PageQuery<ReservationSortField> & {
    orderId?: string;
    productId?: string;
    status?: ReservationStatus;
  },
): Promise<Paged<InventoryReservation>> {
  const where: InventoryPrisma.InventoryReservationWhereInput = {
    ...(query.orderId !== undefined ? { orderId: query.orderId } : {}),
    ...(query.productId !== undefined ? { productId: query.productId } : {}),
    ...(query.status !== undefined ? { status: query.status } : {}),
  };
  const orderBy: InventoryPrisma.InventoryReservationOrderByWithRelationInput[] = [
    { [query.sortField]: query.sortDirection },
    { id: 'asc' },
  ];
  const [items, total] = await Promise.all([
    db.inventoryReservation.findMany({ where, orderBy, skip: query.page * query.size, take: query.size }),
    db.inventoryReservation.count({ where }),
  ]);
  return { items, total };
}

export interface StockAlert {
  productId: string;
  productName: string;
  category: string | null;
  availableQuantity: number;
  reservedQuantity: number;
  minStockLevel: number;
  reorderQuantity: number;
}

export interface InventoryHealth {
  category: string | null;
  totalItems: number;
  totalAvailable: number;
  totalReserved: number;
  totalSold: number;
  lowStockCount: number;
  outOfStockCount: number;
  needsReorderingCount: number;
  /** At most `listLimit` entries each, scarcest first; the counts are always complete. */
  lowStockItems: StockAlert[];
  outOfStockItems: StockAlert[];
  needsReorderingItems: StockAlert[];
  listLimit: number;
}

const ALERT_SELECT = {
  productId: true,
  productName: true,
  category: true,
  availableQuantity: true,
  reservedQuantity: true,
  minStockLevel: true,
  reorderQuantity: true,
} as const;

/** Stock totals and the low / out-of-stock / reorder lists, for the whole catalogue or one category. */
export async function inventoryHealth(
  db: InventoryDb,
  options: { category?: string; listLimit?: number } = {},
): Promise<InventoryHealth> {
  const listLimit = options.listLimit ?? 100;
  const scope: InventoryPrisma.InventoryItemWhereInput =
    options.category === undefined ? {} : { category: options.category };
  const fields = db.inventoryItem.fields;
  const low: InventoryPrisma.InventoryItemWhereInput = {
    ...scope,
    availableQuantity: { lte: fields.minStockLevel },
  };
  const out: InventoryPrisma.InventoryItemWhereInput = { ...scope, availableQuantity: 0 };
  const reorder: InventoryPrisma.InventoryItemWhereInput = { ...low, reorderQuantity: { gt: 0 } };
  const orderBy: InventoryPrisma.InventoryItemOrderByWithRelationInput[] = [
    { availableQuantity: 'asc' },
    { productId: 'asc' },
  ];
  const list = (tx: InventoryTx, where: InventoryPrisma.InventoryItemWhereInput) =>
    tx.inventoryItem.findMany({ where, orderBy, take: listLimit, select: ALERT_SELECT });

  // One snapshot so the totals and lists agree with each other.
  return db.$transaction(
    async (tx) => {
      const totals = await tx.inventoryItem.aggregate({
        where: scope,
        _count: { _all: true },
        _sum: { availableQuantity: true, reservedQuantity: true, soldQuantity: true },
      });
      const lowStockCount = await tx.inventoryItem.count({ where: low });
      const outOfStockCount = await tx.inventoryItem.count({ where: out });
      const needsReorderingCount = await tx.inventoryItem.count({ where: reorder });
      const lowStockItems = await list(tx, low);
      const outOfStockItems = await list(tx, out);
      const needsReorderingItems = await list(tx, reorder);
      return {
        category: options.category ?? null,
        totalItems: totals._count._all,
        totalAvailable: totals._sum.availableQuantity ?? 0,
        totalReserved: totals._sum.reservedQuantity ?? 0,
        totalSold: totals._sum.soldQuantity ?? 0,
        lowStockCount,
        outOfStockCount,
        needsReorderingCount,
        lowStockItems,
        outOfStockItems,
        needsReorderingItems,
        listLimit,
      };
    },
    { isolationLevel: InventoryPrisma.TransactionIsolationLevel.RepeatableRead },
  );
}

export interface PricedProduct {
  productName: string;
  /** Two-place decimal string, e.g. "19.90". */
  unitPrice: string;
}

/** Current name and price of each product, for pricing an order; ids not in the catalogue are listed. */
export async function priceItems(
  db: InventoryDb,
  productIds: readonly string[],
): Promise<{ prices: Map<string, PricedProduct>; unknown: string[] }> {
  const wanted = [...new Set(productIds)];
  const found = await db.inventoryItem.findMany({
    where: { productId: { in: wanted } },
    select: { productId: true, productName: true, unitPrice: true },
  });
  const prices = new Map(
    found.map((p) => [p.productId, { productName: p.productName, unitPrice: money(p.unitPrice) }]),
  );
  return { prices, unknown: wanted.filter((id) => !prices.has(id)) };
}
