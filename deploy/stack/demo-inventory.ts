import { createInventoryDb } from '../../domain/inventory/db';
import { createItem, DuplicateProductError, type NewItem } from '../../domain/inventory/catalog';

/** A small catalogue so a fresh stack can take orders at once. */
export const DEMO_ITEMS: readonly NewItem[] = [
  {
    productId: 'LAPTOP-001',
    productName: 'Laptop 14"',
    category: 'electronics',
    availableQuantity: 50,
    unitPrice: '1299.00',
  },
  {
    productId: 'PHONE-001',
    productName: 'Smartphone',
    category: 'electronics',
    availableQuantity: 100,
    unitPrice: '799.00',
  },
  {
    productId: 'HEADPHONES-001',
    productName: 'Noise-cancelling headphones',
    category: 'electronics',
    availableQuantity: 200,
    unitPrice: '249.99',
  },
  {
    productId: 'MUG-001',
    productName: 'Coffee mug',
    category: 'kitchen',
    availableQuantity: 500,
    unitPrice: '12.50',
  },
  {
    productId: 'BOOK-001',
    productName: 'Designing Data-Intensive Applications',
    category: 'books',
    availableQuantity: 75,
    unitPrice: '45.00',
  },
  {
    productId: 'CHAIR-001',
    productName: 'Office chair',
    category: 'furniture',
    availableQuantity: 5,
    unitPrice: '349.00',
    minStockLevel: 10,
  },
];

/** Creates the demo items that are missing; items already there (maybe sold down) are left as they are. */
export async function seedDemoInventory(inventoryDatabaseUrl: string): Promise<string[]> {
  const db = createInventoryDb(inventoryDatabaseUrl, 2);
  const created: string[] = [];
  try {
    for (const item of DEMO_ITEMS) {
      try {
        await createItem(db, item);
        created.push(item.productId);
      } catch (error) {
        if (!(error instanceof DuplicateProductError)) throw error;
      }
    }
  } finally {
    await db.$disconnect();
  }
  return created;
}
