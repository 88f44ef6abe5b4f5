import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { inventoryContext, ordersContext } from '../../prisma/contexts';
import { applyMigrations, generateClients } from '../../deploy/stack/migrations';
import { createScratchDatabases, type ScratchDatabases } from './scratch-databases';

jest.setTimeout(180_000);

/** The slice of the generated clients used here; they are git-ignored, so not imported statically. */
interface Decimalish {
  toString(): string;
}
interface OrdersClient {
  order: {
    create(args: object): Promise<{ id: string; status: string; totalAmount: Decimalish; version: number }>;
  };
  $disconnect(): Promise<void>;
}
interface InventoryClient {
  inventoryItem: {
    create(args: object): Promise<{ productId: string; version: number }>;
    updateMany(args: object): Promise<{ count: number }>;
  };
  $disconnect(): Promise<void>;
}
type ClientClass<T> = new (options: { adapter: PrismaPg }) => T;

function loadClient<T>(generatedDir: string): ClientClass<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(generatedDir, 'client')) as { PrismaClient: ClientClass<T> }).PrismaClient;
}

let scratch: ScratchDatabases;

beforeAll(async () => {
  scratch = await createScratchDatabases('client');
  await Promise.all([generateClients(), applyMigrations(scratch.env)]);
});

afterAll(async () => {
  await scratch?.drop();
});

test('the generated orders client writes orders with exact money through adapter-pg', async () => {
  const Client = loadClient<OrdersClient>(ordersContext.generatedDir);
  const prisma = new Client({ adapter: new PrismaPg({ connectionString: scratch.url(ordersContext) }) });
  try {
    const order = await prisma.order.create({
      data: {
        customerId: 'c-1',
        totalAmount: '30.03',
        streetAddress: '1 Main St',
        city: 'Springfield',
        postalCode: '12345',
        country: 'US',
        idempotencyKey: 'k-1',
        items: {
          create: [
            { productId: 'p-1', productName: 'Widget', quantity: 3, unitPrice: '10.01', lineTotal: '30.03' },
          ],
        },
        payment: { create: { idempotencyKey: 'pay-k-1', status: 'AUTHORIZED', amount: '30.03' } },
        events: { create: { toStatus: 'PENDING', details: { source: 'test' } } },
      },
    });
    expect(order).toMatchObject({ status: 'PENDING', version: 0 });
    expect(order.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(order.totalAmount.toString()).toBe('30.03');
  } finally {
    await prisma.$disconnect();
  }
});

test('the generated inventory client supports optimistic version checks', async () => {
  const Client = loadClient<InventoryClient>(inventoryContext.generatedDir);
  const prisma = new Client({ adapter: new PrismaPg({ connectionString: scratch.url(inventoryContext) }) });
  try {
    await prisma.inventoryItem.create({
      data: { productId: 'p-9', productName: 'Gadget', availableQuantity: 5, unitPrice: '4.50' },
    });
    const reserve = () =>
      prisma.inventoryItem.updateMany({
        where: { productId: 'p-9', version: 0 },
        data: {
          availableQuantity: { decrement: 2 },
          reservedQuantity: { increment: 2 },
          version: { increment: 1 },
        },
      });
    expect(await reserve()).toEqual({ count: 1 });
    // A writer that read version 0 before the first update loses.
    expect(await reserve()).toEqual({ count: 0 });
  } finally {
    await prisma.$disconnect();
  }
});
