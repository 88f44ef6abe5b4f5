/** Partitions of every project topic: enough for three consumers per group to share the work. */
export const TOPIC_PARTITIONS = 3;

/** Written by Debezium's Outbox Event Router, one topic per aggregate type, keyed by aggregate id. */
export const OUTBOX_TOPICS = ['trackops.orders', 'trackops.inventory', 'trackops.payments'] as const;

/** Raw row changes, named <topic.prefix>.<schema>.<table> by the Debezium connectors. */
export const CDC_TOPICS = [
  'trackops_orders.public.orders',
  'trackops_orders.public.order_items',
  'trackops_inventory.public.inventory_items',
] as const;

/** Application events published by name. */
export const EVENT_TOPICS = ['ORDER_CREATED', 'ORDER_CANCELLED'] as const;

export type BaseTopic =
  (typeof OUTBOX_TOPICS)[number] | (typeof CDC_TOPICS)[number] | (typeof EVENT_TOPICS)[number];

export const BASE_TOPICS: readonly BaseTopic[] = [...OUTBOX_TOPICS, ...CDC_TOPICS, ...EVENT_TOPICS];

/** Where a consumer parks a message it cannot process, so one bad event never blocks a partition. */
export function dlqTopic(topic: BaseTopic): string {
  return `${topic}.dlq`;
}

/** Every topic the stack creates: each base topic and its dead-letter topic. */
export const PROJECT_TOPICS: readonly string[] = BASE_TOPICS.flatMap((topic) => [topic, dlqTopic(topic)]);
