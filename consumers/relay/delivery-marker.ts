import type { InventoryDb } from '../../domain/inventory/db';
import type { OrdersDb } from '../../domain/orders/db';
import { headerText } from '../../messaging/kafka-headers';
import {
  OUTBOX_CONTEXTS,
  OUTBOX_HEADERS,
  OUTBOX_ID_PATTERN,
  type OutboxContext,
} from '../../messaging/outbox/outbox-wire';
import type { ConsumerDefinition } from '../runtime/consumer-runner';

export const DELIVERY_MARKER_CONSUMER = 'trackops-outbox-delivered';

/** The outbox topics and the database whose outbox feeds each (payments live in the orders database). */
export const OUTBOX_TOPIC_CONTEXT: Record<string, OutboxContext> = {
  'trackops.orders': 'orders',
  'trackops.payments': 'orders',
  'trackops.inventory': 'inventory',
};

/** What the delivery marker works with: the database of each outbox. */
export interface DeliveryMarkerDeps {
  orders: OrdersDb;
  inventory: InventoryDb;
}

/**
 * Sets `published_at` on the outbox row of every event that reached its topic, whichever path
 * (Debezium or the relay) brought it there. Without it, rows delivered by CDC, the default path,
 * would stay "unpublished" for the relay forever: `GET /api/events/unprocessed` would list them all
 * and switching the relay on would publish every retained row a second time. With it, what the
 * relay finds unpublished is what has not reached Kafka yet (e.g. while Connect is down), give or
 * take the seconds between a commit and this consumer seeing the event.
 *
 * Idempotent without processed_events: the UPDATE only touches a row whose `published_at` is null.
 * A message without an event id is left to the other consumers (which dead-letter it).
 */
export function deliveryMarkerConsumer(dbs: DeliveryMarkerDeps): ConsumerDefinition {
  return {
    name: DELIVERY_MARKER_CONSUMER,
    topics: Object.keys(OUTBOX_TOPIC_CONTEXT),
    async handle({ topic, message }) {
      const id = headerText(message.headers, OUTBOX_HEADERS.id);
      if (!id || !OUTBOX_ID_PATTERN.test(id)) return;
      const home = OUTBOX_TOPIC_CONTEXT[topic];
      for (const context of home ? [home] : OUTBOX_CONTEXTS) {
        const db = dbs[context] as OrdersDb;
        const updated = await db.$executeRaw`
          UPDATE outbox SET published_at = now() WHERE id = ${id}::uuid AND published_at IS NULL`;
        if (updated > 0) return;
      }
    },
  };
}
