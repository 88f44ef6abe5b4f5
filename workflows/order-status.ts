/**
 * The order's state machine: the one place that says which status may follow which. The saga,
 * the order store, the routes and the carrier consumer all ask it. Pure, so the workflow bundle
 * can import it.
 */
export const ORDER_STATUSES = [
  'PENDING',
  'CONFIRMED',
  'PROCESSING',
  'SHIPPED',
  'DELIVERED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses a client or a carrier may move a confirmed order to. */
export const FULFILMENT_STATUSES = ['PROCESSING', 'SHIPPED', 'DELIVERED'] as const;
export type FulfilmentStatus = (typeof FULFILMENT_STATUSES)[number];

/** Legal moves; anything else is refused (a 409 at the API, a no-op in the order store). */
export const NEXT_STATUSES: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['PROCESSING', 'SHIPPED', 'CANCELLED'],
  PROCESSING: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

export const canMove = (from: OrderStatus, to: OrderStatus): boolean => NEXT_STATUSES[from].includes(to);

export const isCancellable = (status: OrderStatus): boolean => canMove(status, 'CANCELLED');

const isFulfilmentStatus = (status: OrderStatus): status is FulfilmentStatus =>
  (FULFILMENT_STATUSES as readonly OrderStatus[]).includes(status);

/** A client's fulfilment request: only once the saga has confirmed the order, and only forward. */
export const canFulfil = (from: OrderStatus, to: OrderStatus): boolean =>
  from !== 'PENDING' && isFulfilmentStatus(to) && canMove(from, to);

/**
 * The moves a carrier report asks of an order, in order. A parcel that was delivered was shipped:
 * DELIVERED for an order not yet shipped (its SHIPPED scan was missed) moves it through SHIPPED,
 * since the saga refuses CONFIRMED -> DELIVERED. A report the order is at or past, or one for a
 * cancelled or unconfirmed order, asks nothing.
 */
export function carrierMoves(current: OrderStatus, reported: FulfilmentStatus): FulfilmentStatus[] {
  if (canFulfil(current, reported)) return [reported];
  if (reported === 'DELIVERED' && canFulfil(current, 'SHIPPED')) return ['SHIPPED', 'DELIVERED'];
  return [];
}
