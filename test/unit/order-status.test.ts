/** The order state machine, alone: no server needed. */
import {
  canFulfil,
  canMove,
  carrierMoves,
  isCancellable,
  ORDER_STATUSES,
} from '../../workflows/order-status';

describe('order state machine', () => {
  it('moves only forward, and never out of a final status', () => {
    expect(canMove('PENDING', 'CONFIRMED')).toBe(true);
    expect(canMove('CONFIRMED', 'SHIPPED')).toBe(true);
    expect(canMove('SHIPPED', 'DELIVERED')).toBe(true);
    expect(canMove('SHIPPED', 'CONFIRMED')).toBe(false);
    expect(canMove('CONFIRMED', 'DELIVERED')).toBe(false);
    for (const to of ORDER_STATUSES) {
      expect(canMove('DELIVERED', to)).toBe(false);
      expect(canMove('CANCELLED', to)).toBe(false);
    }
  });

  it('cancels only before shipment', () => {
    const cancellable = ORDER_STATUSES.filter(isCancellable);
    expect(cancellable).toEqual(['PENDING', 'CONFIRMED', 'PROCESSING']);
  });

  it('lets clients move an order along fulfilment only once it is confirmed', () => {
    expect(canFulfil('PENDING', 'PROCESSING')).toBe(false);
    expect(canFulfil('CONFIRMED', 'PROCESSING')).toBe(true);
    expect(canFulfil('CONFIRMED', 'CANCELLED')).toBe(false);
    expect(canFulfil('PROCESSING', 'PROCESSING')).toBe(false);
  });

  it.each([
    ['CONFIRMED', 'SHIPPED', ['SHIPPED']],
    ['CONFIRMED', 'DELIVERED', ['SHIPPED', 'DELIVERED']],
    ['PROCESSING', 'DELIVERED', ['SHIPPED', 'DELIVERED']],
    ['SHIPPED', 'DELIVERED', ['DELIVERED']],
    ['SHIPPED', 'SHIPPED', []],
    ['DELIVERED', 'SHIPPED', []],
    ['CANCELLED', 'SHIPPED', []],
    ['PENDING', 'SHIPPED', []],
  ] as const)('a carrier report of %s -> %s asks %j', (current, reported, moves) => {
    expect(carrierMoves(current, reported)).toEqual(moves);
  });
});
