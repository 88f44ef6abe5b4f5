import type { InventoryItem, InventoryPrisma, InventoryReservation } from './db';

/* The stock rules an item is judged by, and the item and reservation as the API and events show them. */

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

/** Money as the API and the outbox payloads carry it: a two-place decimal string. */
export const money = (value: InventoryPrisma.Decimal) => value.toFixed(2);

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
