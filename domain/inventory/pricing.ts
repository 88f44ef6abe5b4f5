import type { InventoryDb } from './db';
import { money } from './views';

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
