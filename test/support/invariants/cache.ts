import { orderKey } from '../../../cache/keys';
import type { RunOrder } from './sagas';
import { violation, type InvariantClients, type Violation } from './scope';

/**
 * The cache never holds an order at a version other than the database's once the pipeline had its
 * invalidation lag to catch up: the checker runs only after that (see checkInvariants' polling).
 */
export async function checkCache(
  { redis }: InvariantClients,
  orders: readonly RunOrder[],
): Promise<Violation[]> {
  const found: Violation[] = [];
  for (const order of orders) {
    const cached = await redis.hget(orderKey(order.id), 'v');
    if (cached !== null && Number(cached) !== order.version) {
      found.push(
        violation('cache serves the database version', { order: order.id, cached, db: order.version }),
      );
    }
  }
  return found;
}
