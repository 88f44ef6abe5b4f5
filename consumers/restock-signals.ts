import type { Client } from '@temporalio/client';
import { EventType } from '../domain/events';
import type { OrdersDb } from '../domain/orders/db';
import type { Logger } from '../lib/logger';
import { orderWorkflowId, restockSignal, type RestockNotice } from '../workflows/contract';
import type { ConsumerDefinition } from './runtime/consumer-runner';
import { alreadyProcessed, markProcessed } from './runtime/idempotency';
import { outboxPayload, parseOutboxEvent } from './runtime/outbox-event';
import { signalOnce, signalRequestId } from './signal-once';

export const RESTOCK_SIGNALS_CONSUMER = 'trackops-restock-signals';

/** Signals sent at once for one restock; a popular product may have many backorders waiting. */
const SIGNAL_CONCURRENCY = 16;

/** What the restock-signals consumer works with. */
export interface RestockSignalsDeps {
  /** The backorders waiting on a product, and processed_events. */
  ordersDb: OrdersDb;
  temporal: Client;
  logger: Logger;
}

/**
 * The orders whose sagas may wait for `productId`: backorders still PENDING with a line for it.
 *
 * Why the orders database and not Temporal's visibility store: the database is the system of
 * record and strongly consistent (an order that committed before this query is found), while
 * visibility is eventually consistent and knows no product ids (the saga sets OrderId, CustomerId
 * and OrderStatus, and a product-list search attribute would need a workflow change and a server
 * registration). The set is a superset of the sagas in AWAITING_RESTOCK: a PENDING backorder
 * may still be reserving or paying. A restock signal to those is harmless: the saga only notes the
 * product, and a later wait returns at once and retries the reservation, which then succeeds or
 * waits again (the saga clears its notes before each attempt, so no stale restock is believed).
 */
export async function backordersWaitingOn(ordersDb: OrdersDb, productId: string): Promise<string[]> {
  const orders = await ordersDb.order.findMany({
    where: { allowBackorder: true, status: 'PENDING', items: { some: { productId } } },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
  });
  return orders.map((o) => o.id);
}

/**
 * INVENTORY_RESTOCKED (trackops.inventory) becomes a `restock` signal to every saga that may wait
 * on that product (see backordersWaitingOn). Exactly once per (event, saga) on the same terms as
 * the workflow-signals consumer: signals carry a request id derived from the event and the order,
 * so a redelivery after a crash repeats none of them, and processed_events (orders database) is
 * written after all signals went out. Sagas that closed meanwhile are skipped.
 */
export function restockSignalsConsumer(deps: RestockSignalsDeps): ConsumerDefinition {
  const { ordersDb, temporal, logger } = deps;
  return {
    name: RESTOCK_SIGNALS_CONSUMER,
    topics: ['trackops.inventory'],
    async handle({ message }) {
      const event = parseOutboxEvent(message);
      if (event.type !== EventType.InventoryRestocked) return;
      if (await alreadyProcessed(ordersDb, RESTOCK_SIGNALS_CONSUMER, event.id)) return;
      const { productId } = outboxPayload(event, EventType.InventoryRestocked);
      const orderIds = await backordersWaitingOn(ordersDb, productId);
      let signalled = 0;
      for (let i = 0; i < orderIds.length; i += SIGNAL_CONCURRENCY) {
        const outcomes = await Promise.all(
          orderIds.slice(i, i + SIGNAL_CONCURRENCY).map((orderId) =>
            signalOnce(temporal, {
              workflowId: orderWorkflowId(orderId),
              signalName: restockSignal.name,
              arg: { productId } satisfies RestockNotice,
              requestId: signalRequestId(RESTOCK_SIGNALS_CONSUMER, event.id, orderId),
            }),
          ),
        );
        signalled += outcomes.filter((o) => o === 'signalled').length;
      }
      if (orderIds.length > 0) {
        logger.info(
          { eventId: event.id, productId, backorders: orderIds.length, signalled },
          'restock signalled to waiting backorders',
        );
      }
      await markProcessed(ordersDb, RESTOCK_SIGNALS_CONSUMER, event.id);
    },
  };
}
