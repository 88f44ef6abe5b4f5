/**
 * The fault suite's order stream: orders of every kind the saga handles, each driven to its end by
 * a client that retries (same Idempotency-Key, same carrier event id) through any outage, as a
 * real client would. Lives beside the suite because only the suite uses it.
 */
import { http, sleep, testAddress, type OrderBody } from '../support/orders-e2e';

export type OrderKind = 'deliver' | 'decline' | 'cancel' | 'backorder' | 'await-shipment';
export const ORDER_KINDS: readonly OrderKind[] = [
  'deliver',
  'decline',
  'cancel',
  'backorder',
  'await-shipment',
];

export interface StreamProducts {
  plenty: string;
  /** Out of stock: backorders wait on it until the stream restocks it. */
  scarce: string;
}

/** One call retried until it answers one of `accepted` (an outage answers 503 or refuses). */
async function until<T>(
  what: string,
  call: () => Promise<{ status: number; body: T }>,
  accepted: readonly number[],
  timeoutMs = 240_000,
): Promise<{ status: number; body: T }> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const response = await call();
      if (accepted.includes(response.status)) return response;
      last = `${response.status} ${JSON.stringify(response.body).slice(0, 200)}`;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`${what}: gave up, last answer ${last}`);
    await sleep(1000);
  }
}

const statusIs = async (orderId: string, statuses: readonly string[]) =>
  until(
    `order ${orderId} to become ${statuses.join('|')}`,
    async () => {
      const response = await http<OrderBody>('GET', `/api/orders/${orderId}`, undefined, {}, 5000);
      return { status: statuses.includes(response.body.status) ? 200 : 425, body: response.body };
    },
    [200],
  );

/** Places one order of `kind` and drives it to where that kind ends; resolves with its id. */
export async function driveOrder(
  kind: OrderKind,
  customerId: string,
  products: StreamProducts,
): Promise<string> {
  const backorder = kind === 'backorder';
  const placed = await until(
    `placing ${customerId}`,
    () =>
      http<OrderBody>(
        'POST',
        '/api/orders',
        {
          customerId,
          items: [{ productId: backorder ? products.scarce : products.plenty, quantity: 1 }],
          address: testAddress(),
          ...(backorder ? { allowBackorder: true } : {}),
          ...(kind === 'decline' ? { paymentMethod: 'tok_chargeDeclined' } : {}),
        },
        { 'Idempotency-Key': `${customerId}-key` },
        40_000,
      ),
    [200, 201],
  );
  const orderId = placed.body.id;
  if (kind === 'decline') {
    await statusIs(orderId, ['CANCELLED']);
  } else if (kind === 'cancel') {
    await statusIs(orderId, ['CONFIRMED']);
    await until(
      `cancelling ${orderId}`,
      () => http('DELETE', `/api/orders/${orderId}`, undefined, {}, 10_000),
      [200, 202],
    );
    await statusIs(orderId, ['CANCELLED']);
  } else if (kind === 'deliver') {
    await statusIs(orderId, ['CONFIRMED']);
    for (const status of ['SHIPPED', 'DELIVERED']) {
      await until(
        `carrier ${status} for ${orderId}`,
        () =>
          http('POST', '/api/carrier/events', {
            orderId,
            status,
            carrier: 'dhl',
            trackingNumber: `TRK-${orderId}`,
            eventId: `${orderId}-${status}`,
          }),
        [200, 201, 202],
      );
    }
    await statusIs(orderId, ['DELIVERED']);
  } else if (kind === 'await-shipment') {
    await statusIs(orderId, ['CONFIRMED']);
  }
  return orderId;
}

/** Adds `units` to a product's stock as an operator does (PUT against the version just read). */
export async function restock(productId: string, units: number): Promise<void> {
  await until(
    `restocking ${productId}`,
    async () => {
      const item = await http<{ version: number; availableQuantity: number }>(
        'GET',
        `/api/inventory/items/${productId}`,
      );
      if (item.status !== 200) return item;
      return http('PUT', `/api/inventory/items/${productId}`, {
        availableQuantity: item.body.availableQuantity + units,
        version: item.body.version,
      });
    },
    [200],
  );
}
