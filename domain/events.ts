/**
 * Outbox event vocabulary. The aggregate type picks the Kafka topic (Debezium's Outbox Event
 * Router sends aggregatetype X to `trackops.X`); the aggregate id is the message key, so one
 * order's events stay in order.
 */
export const AggregateType = {
  orders: 'orders',
  inventory: 'inventory',
  payments: 'payments',
} as const;
export type AggregateType = (typeof AggregateType)[keyof typeof AggregateType];

export const EventType = {
  OrderCreated: 'ORDER_CREATED',
  OrderConfirmed: 'ORDER_CONFIRMED',
  OrderStatusUpdated: 'ORDER_STATUS_UPDATED',
  OrderCancelled: 'ORDER_CANCELLED',
  OrderDelivered: 'ORDER_DELIVERED',
  OrderShipmentSlaBreached: 'ORDER_SHIPMENT_SLA_BREACHED',
  /** A carrier reported a shipment or delivery (POST /api/carrier/events); the consumer signals the saga. */
  OrderShipmentEvent: 'ORDER_SHIPMENT_EVENT',
  InventoryReserved: 'INVENTORY_RESERVED',
  InventoryReservationFailed: 'INVENTORY_RESERVATION_FAILED',
  InventoryCommitted: 'INVENTORY_COMMITTED',
  InventoryReleased: 'INVENTORY_RELEASED',
  InventoryRestocked: 'INVENTORY_RESTOCKED',
  InventoryItemCreated: 'INVENTORY_ITEM_CREATED',
  InventoryItemUpdated: 'INVENTORY_ITEM_UPDATED',
  InventoryItemDeleted: 'INVENTORY_ITEM_DELETED',
  ReservationExpired: 'INVENTORY_RESERVATION_EXPIRED',
  PaymentAuthorized: 'PAYMENT_AUTHORIZED',
  PaymentDeclined: 'PAYMENT_DECLINED',
  PaymentCaptured: 'PAYMENT_CAPTURED',
  PaymentVoided: 'PAYMENT_VOIDED',
  PaymentRefunded: 'PAYMENT_REFUNDED',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** The version of each event's payload shape; bump it (and add a schema) when a payload changes. */
export const CURRENT_SCHEMA_VERSION = 1;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface OutboxEntry {
  aggregateType: AggregateType;
  aggregateId: string;
  type: EventType;
  payload: JsonObject;
  traceparent?: string | null;
  schemaVersion: number;
}

export function outboxEntry(
  aggregateType: AggregateType,
  aggregateId: string,
  type: EventType,
  payload: JsonObject,
  traceparent?: string,
): OutboxEntry {
  return {
    aggregateType,
    aggregateId,
    type,
    payload,
    traceparent: traceparent ?? null,
    schemaVersion: CURRENT_SCHEMA_VERSION,
  };
}
