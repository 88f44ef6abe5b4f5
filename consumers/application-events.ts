import type { Producer } from 'kafkajs';
import type { ConsumerDefinition } from './runtime/consumer-runner';
import { parseChangeEvent } from './runtime/change-event';

interface OrderRow {
  id: string;
  customer_id: string;
  status: string;
  total_amount: string;
  currency: string;
  cancellation_reason: string | null;
  version: number;
}

export const APPLICATION_EVENTS_CONSUMER = 'trackops-application-events';
export const ORDER_CREATED_TOPIC = 'ORDER_CREATED';
export const ORDER_CANCELLED_TOPIC = 'ORDER_CANCELLED';

/** What the application-events consumer works with: a producer for the application topics. */
export interface ApplicationEventsDeps {
  producer: Pick<Producer, 'send'>;
}

/**
 * Keeps the seed system's application topics alive for outside consumers: a new order row becomes
 * ORDER_CREATED, a row turning CANCELLED becomes ORDER_CANCELLED. The event id is derived from the
 * order and the fact, so a redelivered change publishes an event its readers already know.
 */
export function applicationEventsConsumer({ producer }: ApplicationEventsDeps): ConsumerDefinition {
  return {
    name: APPLICATION_EVENTS_CONSUMER,
    topics: ['trackops_orders.public.orders'],
    async handle({ message }) {
      const change = parseChangeEvent<OrderRow>(message);
      const row = change?.after;
      if (!change || !row) return;
      const created = change.op === 'c' || (change.op === 'r' && row.status === 'PENDING');
      const cancelled =
        row.status === 'CANCELLED' && change.before?.status !== 'CANCELLED' && change.op !== 'r';
      const publish = async (topic: string, type: string) => {
        const eventId = `${row.id}:${type}`;
        await producer.send({
          topic,
          acks: -1,
          messages: [
            {
              key: row.id,
              value: JSON.stringify({
                eventId,
                type,
                orderId: row.id,
                customerId: row.customer_id,
                status: row.status,
                totalAmount: row.total_amount,
                currency: row.currency,
                reason: row.cancellation_reason,
                occurredAt: new Date(change.ts_ms).toISOString(),
              }),
              headers: { eventId, eventType: type },
            },
          ],
        });
      };
      if (created) await publish(ORDER_CREATED_TOPIC, 'ORDER_CREATED');
      if (cancelled) await publish(ORDER_CANCELLED_TOPIC, 'ORDER_CANCELLED');
    },
  };
}
