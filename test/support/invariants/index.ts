/**
 * The fault suite's invariant checker: reads Postgres, Temporal, Kafka and Redis directly (never
 * the API under test) and lists every invariant a run broke. Eventually consistent parts (a
 * saga catching up after a restart, a cache invalidation in flight) get `settleMs` to converge:
 * the check passes as soon as one pass finds nothing, and otherwise reports the last pass.
 */
import { checkCache } from './cache';
import { checkEvents } from './events';
import { checkPayments } from './payments';
import { checkSagas, type RunOrder } from './sagas';
import type { InvariantClients, RunScope, Violation } from './scope';
import { checkStock } from './stock';

export { dlqWatermarks } from './events';
export type { InvariantClients, RunScope, Violation } from './scope';

async function onePass(clients: InvariantClients, scope: RunScope): Promise<Violation[]> {
  const orders: RunOrder[] = await clients.ordersDb.order.findMany({
    where: { customerId: { startsWith: scope.customerPrefix } },
    select: { id: true, status: true, allowBackorder: true, version: true },
  });
  const ids = orders.map((o) => o.id);
  const results = await Promise.all([
    checkSagas(clients, orders),
    checkStock(clients, scope, orders),
    checkPayments(clients, orders),
    checkCache(clients, orders),
    checkEvents(clients, scope, ids),
  ]);
  return results.flat();
}

export async function checkInvariants(
  clients: InvariantClients,
  scope: RunScope,
  settleMs = 60_000,
): Promise<Violation[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    let found: Violation[];
    try {
      found = await onePass(clients, scope);
    } catch (error) {
      found = [{ invariant: 'checker reads every store', detail: String(error) }];
    }
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
