import { PrismaPg } from '@prisma/adapter-pg';
import { TRANSACTION_OPTIONS } from '../transaction-options';
import { PrismaClient } from '../../prisma/generated/inventory/client';

export type InventoryDb = InstanceType<typeof PrismaClient>;
export { Prisma as InventoryPrisma } from '../../prisma/generated/inventory/client';
export type { InventoryItem, InventoryReservation } from '../../prisma/generated/inventory/client';

/** The inventory context's database: Rust-free Prisma client over node-postgres. */
export function createInventoryDb(connectionString: string, poolSize = 10): InventoryDb {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString, max: poolSize }),
    // Under a burst, a transaction waits for a pooled connection instead of failing after 2 s.
    transactionOptions: TRANSACTION_OPTIONS,
  });
}

export type InventoryTx = Parameters<Parameters<InventoryDb['$transaction']>[0]>[0];
