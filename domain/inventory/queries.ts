import type { InventoryDb, InventoryItem, InventoryPrisma, InventoryReservation } from './db';

/* Paged reads of the catalogue and of the reservations, and one reservation by id. */

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

/** One reservation, or null when there is none with that id. */
export function findReservation(db: InventoryDb, id: string): Promise<InventoryReservation | null> {
  return db.inventoryReservation.findUnique({ where: { id } });
}
