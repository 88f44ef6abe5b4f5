import { createHash, randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import type { OrderDraft, PlacedOrder, ShippingAddress } from '../../workflows/contract';
import { AggregateType, CURRENT_SCHEMA_VERSION, EventType } from '../events';
import type { InventoryDb } from '../inventory/db';
import { priceItems } from '../inventory/catalog';
import { normaliseLines } from '../inventory/stock';
import { OrdersPrisma, type OrdersDb } from './db';
import { orderView } from './order-view';

export interface NewOrder {
  customerId: string;
  items: { productId: string; quantity: number }[];
  address: ShippingAddress;
  deliveryInstructions?: string;
  allowBackorder?: boolean;
  paymentMethod?: string;
  idempotencyKey?: string;
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

/** The key was taken by an order written before the saga wrote its own orders (another id). */
export class IdempotencyKeyTakenError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`Idempotency-Key ${idempotencyKey} belongs to an earlier order`);
    this.name = 'IdempotencyKeyTakenError';
  }
}

/** Everything the saga needs to write the order: its id, its totals and its priced lines. */
export interface PricedOrder {
  orderId: string;
  customerId: string;
  totalAmount: string;
  currency: string;
  allowBackorder: boolean;
  draft: Omit<OrderDraft, 'requestId'>;
}

const CURRENCY = 'USD';

/** Orders made with an Idempotency-Key get an id derived from it, so a retry names the same saga. */
const IDEMPOTENT_ORDER_NAMESPACE = '5b8f6f0e-7a53-4a59-9f8e-0d3c0f1e2a77';

export const orderIdFor = (idempotencyKey?: string): string =>
  idempotencyKey ? uuidv5(idempotencyKey, IDEMPOTENT_ORDER_NAMESPACE) : randomUUID();

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

/** Prices a request from inventory (never from the client); writes nothing. */
export async function priceOrder(inventoryDb: InventoryDb, request: NewOrder): Promise<PricedOrder> {
  const lines = normaliseLines(request.items);
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
  return {
    orderId: orderIdFor(request.idempotencyKey),
    customerId: request.customerId,
    totalAmount: total.toFixed(2),
    currency: CURRENCY,
    allowBackorder: request.allowBackorder ?? false,
    draft: {
      lines: priced.map((l) => ({
        productId: l.productId,
        productName: l.productName,
        quantity: l.quantity,
        unitPrice: l.unitPrice.toFixed(2),
        lineTotal: l.lineTotal.toFixed(2),
      })),
      address: request.address,
      ...(request.deliveryInstructions ? { deliveryInstructions: request.deliveryInstructions } : {}),
      ...(request.idempotencyKey
        ? { idempotencyKey: request.idempotencyKey, requestFingerprint: requestFingerprint(request) }
        : {}),
    },
  };
}

/**
 * Writes a PENDING order, its items, its audit row and ORDER_CREATED in one statement (one round
 * trip, one transaction: data-modifying CTEs commit together). Writing an order that exists is a
 * no-op that answers the stored order, so a retried saga step is harmless.
 */
export async function writeOrder(
  ordersDb: OrdersDb,
  priced: PricedOrder,
  traceparent?: string,
): Promise<PlacedOrder> {
  const { orderId, draft } = priced;
  const now = new Date();
  const items = draft.lines.map((l) => ({ id: randomUUID(), orderId, ...l }));
  const created = {
    orderId,
    customerId: priced.customerId,
    status: 'PENDING',
    totalAmount: priced.totalAmount,
    currency: priced.currency,
    items: draft.lines.map((l) => ({ productId: l.productId, quantity: l.quantity, unitPrice: l.unitPrice })),
    version: 0,
  };
  const a = draft.address;
  let inserted: { id: string }[];
  try {
    inserted = await ordersDb.$queryRaw<{ id: string }[]>`
      WITH new_order AS (
        INSERT INTO orders (id, customer_id, status, total_amount, currency, street_address, city, state,
          postal_code, country, phone_number, delivery_instructions, allow_backorder, idempotency_key,
          request_fingerprint, workflow_id, version, created_at, updated_at)
        VALUES (${orderId}::uuid, ${priced.customerId}, 'PENDING', ${priced.totalAmount}::numeric,
          ${priced.currency}, ${a.streetAddress}, ${a.city}, ${a.state ?? null}, ${a.postalCode}, ${a.country},
          ${a.phoneNumber ?? null}, ${draft.deliveryInstructions ?? null}, ${priced.allowBackorder},
          ${draft.idempotencyKey ?? null}, ${draft.requestFingerprint ?? null}, ${`order-${orderId}`}, 0,
          ${now}, ${now})
        ON CONFLICT (id) DO NOTHING
        RETURNING id
      ), new_items AS (
        INSERT INTO order_items (id, order_id, product_id, product_name, quantity, unit_price, line_total)
        SELECT l.id, o.id, l."productId", l."productName", l.quantity, l."unitPrice"::numeric, l."lineTotal"::numeric
        FROM new_order o CROSS JOIN jsonb_to_recordset(${JSON.stringify(items)}::jsonb)
          AS l(id uuid, "productId" text, "productName" text, quantity int, "unitPrice" text, "lineTotal" text)
      ), audit AS (
        INSERT INTO order_events (order_id, to_status, details, occurred_at)
        SELECT id, 'PENDING', '{"source":"api"}'::jsonb, ${now} FROM new_order
      ), outbox AS (
        INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent, schema_version, occurred_at)
        SELECT ${AggregateType.orders}, id::text, ${EventType.OrderCreated}, ${JSON.stringify(created)}::jsonb,
          ${traceparent ?? null}, ${CURRENT_SCHEMA_VERSION}, ${now}
        FROM new_order
      )
      SELECT id::text AS id FROM new_order`;
  } catch (error) {
    if (!isUniqueViolation(error, 'idempotency_key')) throw error;
    // Two attempts of this step inserting at once collide on the key, not the id: ours is there.
    const ours = await findOrder(ordersDb, orderId);
    if (ours) return { ...ours, written: false };
    throw new IdempotencyKeyTakenError(draft.idempotencyKey!);
  }
  if (inserted.length === 0) {
    const stored = await findOrder(ordersDb, orderId);
    if (!stored) throw new Error(`order ${orderId} conflicted but cannot be read`);
    return { ...stored, written: false };
  }
  return {
    order: {
      ...orderView({
        id: orderId,
        customerId: priced.customerId,
        status: 'PENDING',
        totalAmount: new OrdersPrisma.Decimal(priced.totalAmount),
        currency: priced.currency,
        streetAddress: a.streetAddress,
        city: a.city,
        state: a.state ?? null,
        postalCode: a.postalCode,
        country: a.country,
        phoneNumber: a.phoneNumber ?? null,
        deliveryInstructions: draft.deliveryInstructions ?? null,
        cancellationReason: null,
        allowBackorder: priced.allowBackorder,
        idempotencyKey: draft.idempotencyKey ?? null,
        requestFingerprint: draft.requestFingerprint ?? null,
        workflowId: `order-${orderId}`,
        version: 0,
        createdAt: now,
        updatedAt: now,
      }),
      items: items.map((i) => ({
        id: i.id,
        productId: i.productId,
        productName: i.productName,
        quantity: i.quantity,
        unitPrice: i.unitPrice,
        lineTotal: i.lineTotal,
      })),
    },
    requestFingerprint: draft.requestFingerprint ?? null,
    written: true,
  };
}

/** The stored order with its items, as `orderPlaced` answers it. */
export async function findOrder(
  ordersDb: OrdersDb,
  where: string | { idempotencyKey: string },
): Promise<PlacedOrder | undefined> {
  const stored = await ordersDb.order.findUnique({
    where: typeof where === 'string' ? { id: where } : where,
    include: { items: { orderBy: { productId: 'asc' } } },
  });
  if (!stored) return undefined;
  const { items, ...order } = stored;
  return { order: orderView(order, items), requestFingerprint: order.requestFingerprint };
}

function isUniqueViolation(error: unknown, column: string): boolean {
  const text = error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : String(error);
  return /unique|23505|P2010|P2002/i.test(text) && text.includes(column);
}
