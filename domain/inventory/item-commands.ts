import { AggregateType, EventType, outboxEntry, type JsonObject } from '../events';
import { InventoryPrisma, type InventoryDb, type InventoryItem, type InventoryTx } from './db';
import {
  DuplicateProductError,
  InvalidItemError,
  ProductInUseError,
  ProductNotFoundError,
  StaleVersionError,
} from './errors';
import type { ReservationStatus } from './queries';
import { writeInventoryOutbox } from './stock';
import { inventoryItemView, money } from './views';

/*
 * The catalogue's writes: create, update and delete an item. Every change writes its outbox row in
 * the transaction that makes it.
 */

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
