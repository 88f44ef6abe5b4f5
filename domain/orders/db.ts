import { PrismaPg } from '@prisma/adapter-pg';
import { TRANSACTION_OPTIONS } from '../transaction-options';
import { PrismaClient } from '../../prisma/generated/orders/client';

export type OrdersDb = InstanceType<typeof PrismaClient>;
export { Prisma as OrdersPrisma } from '../../prisma/generated/orders/client';
export type { Order, OrderItem, Payment, ShipmentEvent } from '../../prisma/generated/orders/client';

/** The orders context's database: Rust-free Prisma client over node-postgres. */
export function createOrdersDb(connectionString: string, poolSize = 10): OrdersDb {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString, max: poolSize }),
    // Under a burst, a transaction waits for a pooled connection instead of failing after 2 s.
    transactionOptions: TRANSACTION_OPTIONS,
  });
}

export type OrdersTx = Parameters<Parameters<OrdersDb['$transaction']>[0]>[0];
