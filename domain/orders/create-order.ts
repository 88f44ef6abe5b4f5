import { createHash, randomUUID } from 'node:crypto';
import type { OrderCreatedPayload } from '../../events/payloads';
import { AggregateType, EventType, outboxEntry } from '../events';
import type { InventoryDb } from '../inventory/db';
import { priceItems } from '../inventory/catalog';
import { normaliseLines } from '../inventory/stock';
import { OrdersPrisma, type Order, type OrderItem, type OrdersDb } from './db';
import { writeOrdersOutbox } from './order-store';

export interface NewOrder {
  customerId: string;
  items: { productId: string; quantity: number }[];
  address: {
    streetAddress: string;
    city: string;
    state?: string;
    postalCode: string;
    country: string;
    phoneNumber?: string;
  };
  deliveryInstructions?: string;
  allowBackorder?: boolean;
  paymentMethod?: string;
  idempotencyKey?: string;
  traceparent?: string;
}

export class UnknownProductsError extends Error {
  constructor(readonly productIds: string[]) {
    super(`unknown products: ${productIds.join(', ')}`);
    this.name = 'UnknownProductsError';
  }
}

export class IdempotencyKeyReusedError extends Error {
  constructor() {
    super('this Idempotency-Key was already used for a different order');
    this.name = 'IdempotencyKeyReusedError';
  }
}

export interface CreatedOrder {
  order: Order;
  items: OrderItem[];
  /** True when an earlier request with the same Idempotency-Key made this order. */
  replayed: boolean;
}

/** What makes two requests "the same order": everything the client chose, in a canonical form. */
export function requestFingerprint(request: NewOrder): string {
  const canonical = {
    customerId: request.customerId,
    items: normaliseLines(request.items).map((l) => [l.productId, l.quantity]),
    address: [
      request.address.streetAddress,
      request.address.city,
      request.address.state ?? null,
      request.address.postalCode,
      request.address.country,
      request.address.phoneNumber ?? null,
    ],
    deliveryInstructions: request.deliveryInstructions ?? null,
    allowBackorder: request.allowBackorder ?? false,
    paymentMethod: request.paymentMethod ?? null,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * Writes a PENDING order, its items, its audit row and ORDER_CREATED in one transaction, and runs
 * `startSaga` before that transaction commits: if the saga cannot be started the order is rolled
 * back, so a client never holds an order that nothing will carry through.
 */
export async function createOrder(
  ordersDb: OrdersDb,
  inventoryDb: InventoryDb,
  request: NewOrder,
  startSaga: (order: Order, items: OrderItem[]) => Promise<void>,
): Promise<CreatedOrder> {
  if (request.idempotencyKey) {
    const earlier = await findByIdempotencyKey(ordersDb, request);
    if (earlier) return earlier;
  }

  const lines = normaliseLines(request.items);
  // Prices come from inventory, never from the client.
  const { prices, unknown } = await priceItems(
    inventoryDb,
    lines.map((l) => l.productId),
  );
  if (unknown.length > 0) throw new UnknownProductsError(unknown);

  const priced = lines.map((line) => {
    const product = prices.get(line.productId)!;
    const unitPrice = new OrdersPrisma.Decimal(product.unitPrice);
    return { ...line, productName: product.productName, unitPrice, lineTotal: unitPrice.mul(line.quantity) };
  });
  const total = priced.reduce((sum, line) => sum.add(line.lineTotal), new OrdersPrisma.Decimal(0));
  const orderId = randomUUID();

  try {
    return await ordersDb.$transaction(
      async (tx) => {
        const order = await tx.order.create({
          data: {
            id: orderId,
            customerId: request.customerId,
            totalAmount: total,
            streetAddress: request.address.streetAddress,
            city: request.address.city,
            state: request.address.state ?? null,
            postalCode: request.address.postalCode,
            country: request.address.country,
            phoneNumber: request.address.phoneNumber ?? null,
            deliveryInstructions: request.deliveryInstructions ?? null,
            allowBackorder: request.allowBackorder ?? false,
            idempotencyKey: request.idempotencyKey ?? null,
            requestFingerprint: request.idempotencyKey ? requestFingerprint(request) : null,
            workflowId: `order-${orderId}`,
          },
        });
        await tx.orderItem.createMany({
          data: priced.map((line) => ({
            orderId,
            productId: line.productId,
            productName: line.productName,
            quantity: line.quantity,
            unitPrice: line.unitPrice,
            lineTotal: line.lineTotal,
          })),
        });
        const items = await tx.orderItem.findMany({ where: { orderId }, orderBy: { productId: 'asc' } });
        await tx.orderEvent.create({ data: { orderId, toStatus: 'PENDING', details: { source: 'api' } } });
        await writeOrdersOutbox(
          tx,
          outboxEntry(
            AggregateType.orders,
            orderId,
            EventType.OrderCreated,
            {
              orderId,
              customerId: order.customerId,
              status: 'PENDING',
              totalAmount: total.toFixed(2),
              currency: order.currency,
              items: priced.map((l) => ({
                productId: l.productId,
                quantity: l.quantity,
                unitPrice: l.unitPrice.toFixed(2),
              })),
              version: order.version,
            } satisfies OrderCreatedPayload,
            request.traceparent,
          ),
        );
        await startSaga(order, items);
        return { order, items, replayed: false };
      },
      // Under a burst, wait for a pooled connection (the client gets a 503 only after maxWait).
      { timeout: 20_000, maxWait: 30_000 },
    );
  } catch (error) {
    // Two concurrent first requests with one key: the loser returns the winner's order.
    if (
      request.idempotencyKey &&
      error instanceof OrdersPrisma.PrismaClientKnownRequestError &&
      error.code === 'P2002'
    ) {
      const earlier = await findByIdempotencyKey(ordersDb, request);
      if (earlier) return earlier;
    }
    throw error;
  }
}

async function findByIdempotencyKey(
  ordersDb: OrdersDb,
  request: NewOrder,
): Promise<CreatedOrder | undefined> {
  const earlier = await ordersDb.order.findUnique({
    where: { idempotencyKey: request.idempotencyKey! },
    include: { items: { orderBy: { productId: 'asc' } } },
  });
  if (!earlier) return undefined;
  if (earlier.requestFingerprint !== requestFingerprint(request)) throw new IdempotencyKeyReusedError();
  const { items, ...order } = earlier;
  return { order, items, replayed: true };
}
