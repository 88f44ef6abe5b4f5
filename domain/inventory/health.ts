import { InventoryPrisma, type InventoryDb, type InventoryTx } from './db';

/* The stock health summary: totals and the low / out-of-stock / reorder lists. */

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

/**
 * Stock totals and the low / out-of-stock / reorder lists, for the whole catalogue or one category.
 * The where clauses are those of ./views.ts's isLowStock, isOutOfStock and needsReordering.
 */
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
