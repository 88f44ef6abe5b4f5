/**
 * The one TypeScript definition of each outbox event's payload, at the current schema version. The
 * committed JSON Schemas (./schemas) are the wire contract; these types say the same in TypeScript
 * so that a producer can check what it writes (`satisfies`) and a consumer gets a typed payload
 * from parseEventPayload (./registry.ts), which validates against the schema of the event's own
 * version. A compatible later version (./README.md) only adds optional fields, so these types read
 * every version of their event. test/events/payloads.test.ts keeps each type in step with its
 * schema: an example of every type must validate and name exactly the schema's properties.
 */

import type { EventType } from '../domain/events';

/** As the order payloads spell an order's status. */
export type OrderStatusName = 'PENDING' | 'CONFIRMED' | 'PROCESSING' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';

export type CancellationReasonName =
  | 'OUT_OF_STOCK'
  | 'PAYMENT_DECLINED'
  | 'PAYMENT_TIMEOUT'
  | 'CUSTOMER_REQUEST'
  | 'BACKORDER_EXPIRED'
  | 'OPERATOR_REQUEST'
  | 'SYSTEM_ERROR';

export type PaymentStatusName = 'AUTHORIZED' | 'DECLINED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';

/** An exact decimal string (`"12.50"`), never a float. */
export type DecimalString = string;
/** An ISO-8601 timestamp with a time zone. */
export type Timestamp = string;

// Type aliases rather than interfaces throughout: an alias is assignable to the outbox's JSON type.

export type OrderCreatedPayload = {
  orderId: string;
  customerId: string;
  status: 'PENDING';
  /** Two decimal places. */
  totalAmount: DecimalString;
  currency: string;
  items: { productId: string; quantity: number; unitPrice: DecimalString }[];
  version: number;
};

/** What recordOrderStatus writes for every status; the event type adds the status it stands for. */
export type OrderStatusChangeBase = {
  orderId: string;
  customerId: string;
  previousStatus: OrderStatusName;
  version: number;
  /** Present when the change carried a cancellation reason. */
  reason?: CancellationReasonName;
};
type OrderStatusChange<Status extends OrderStatusName> = OrderStatusChangeBase & { status: Status };
export type OrderConfirmedPayload = OrderStatusChange<'CONFIRMED'>;
export type OrderCancelledPayload = OrderStatusChange<'CANCELLED'>;
export type OrderDeliveredPayload = OrderStatusChange<'DELIVERED'>;
export type OrderStatusUpdatedPayload = OrderStatusChange<'PROCESSING' | 'SHIPPED'>;

export type OrderShipmentSlaBreachedPayload = {
  orderId: string;
  customerId: string;
  status: OrderStatusName;
  /** The SLA as configured, e.g. "48h". */
  sla: string;
};

export type OrderShipmentEventPayload = {
  orderId: string;
  customerId: string;
  shipmentEventId: string;
  carrier: string;
  /** The carrier's own id for the report. */
  carrierEventId: string;
  status: 'SHIPPED' | 'DELIVERED';
  trackingNumber: string | null;
  /** When the carrier says it happened. */
  occurredAt: Timestamp;
};

type PaymentChange<Status extends PaymentStatusName> = {
  orderId: string;
  status: Status;
  /** null when this is the first record of the payment. */
  previousStatus: PaymentStatusName | null;
  amount: DecimalString;
  currency: string;
  providerReference: string | null;
};
export type PaymentAuthorizedPayload = PaymentChange<'AUTHORIZED'>;
export type PaymentDeclinedPayload = PaymentChange<'DECLINED'>;
export type PaymentCapturedPayload = PaymentChange<'CAPTURED'>;
export type PaymentVoidedPayload = PaymentChange<'VOIDED'>;
export type PaymentRefundedPayload = PaymentChange<'REFUNDED'>;
/** Any of the payment events' payloads (domain/orders/payment-store.ts picks the type by status). */
export type PaymentChangedPayload =
  | PaymentAuthorizedPayload
  | PaymentDeclinedPayload
  | PaymentCapturedPayload
  | PaymentVoidedPayload
  | PaymentRefundedPayload;

/** A product and a positive quantity of it. */
export type StockLinePayload = { productId: string; quantity: number };

/** `orderId` of the inventory events: the order id, or the hold id of a manual reservation. */
export type InventoryReservedPayload = {
  orderId: string;
  reservationIds: string[];
  items: StockLinePayload[];
  /** When a manual hold expires; null for an order saga. */
  expiresAt: Timestamp | null;
};

export type InventoryReservationFailedPayload = {
  orderId: string;
  productId: string;
  reason: 'InsufficientStockError' | 'UnknownProductError';
  items: StockLinePayload[];
};

export type InventoryCommittedPayload = { orderId: string; items: StockLinePayload[] };

export type InventoryReleasedPayload = {
  orderId: string;
  /** ACTIVE: back from reserved; COMMITTED: back from sold. */
  items: (StockLinePayload & { from: 'ACTIVE' | 'COMMITTED' })[];
};

export type InventoryReservationExpiredPayload = {
  orderId: string;
  items: (StockLinePayload & { from: 'ACTIVE' })[];
};

export type InventoryRestockedPayload = {
  productId: string;
  previousAvailable: number;
  available: number;
  added: number;
};

/** A catalogue item as the REST API shows it (domain/inventory/catalog.ts inventoryItemView). */
export type InventoryItemPayload = {
  productId: string;
  productName: string;
  description: string | null;
  category: string | null;
  availableQuantity: number;
  reservedQuantity: number;
  soldQuantity: number;
  unitPrice: DecimalString;
  minStockLevel: number;
  maxStockLevel: number;
  reorderQuantity: number;
  isLowStock: boolean;
  isOutOfStock: boolean;
  needsReordering: boolean;
  version: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
};

export type InventoryItemCreatedPayload = InventoryItemPayload;

export type UpdatableItemField =
  | 'productName'
  | 'description'
  | 'category'
  | 'availableQuantity'
  | 'minStockLevel'
  | 'maxStockLevel'
  | 'reorderQuantity'
  | 'unitPrice';

export type InventoryItemUpdatedPayload = {
  productId: string;
  changedFields: UpdatableItemField[];
  /** Per changed field: its value before and after (unitPrice as a two-place string). */
  changes: Partial<Record<UpdatableItemField, { from: string | number | null; to: string | number | null }>>;
  previousVersion: number;
  item: InventoryItemPayload;
};

export type InventoryItemDeletedPayload = {
  productId: string;
  productName: string;
  version: number;
  availableQuantity: number;
  purgedReservations: number;
};

/**
 * Each event type's payload. Indexed by EventType (domain/events.ts) wherever it is used, so an
 * event type without an entry here does not compile.
 */
export interface EventPayloads {
  ORDER_CREATED: OrderCreatedPayload;
  ORDER_CONFIRMED: OrderConfirmedPayload;
  ORDER_STATUS_UPDATED: OrderStatusUpdatedPayload;
  ORDER_CANCELLED: OrderCancelledPayload;
  ORDER_DELIVERED: OrderDeliveredPayload;
  ORDER_SHIPMENT_SLA_BREACHED: OrderShipmentSlaBreachedPayload;
  ORDER_SHIPMENT_EVENT: OrderShipmentEventPayload;
  INVENTORY_RESERVED: InventoryReservedPayload;
  INVENTORY_RESERVATION_FAILED: InventoryReservationFailedPayload;
  INVENTORY_COMMITTED: InventoryCommittedPayload;
  INVENTORY_RELEASED: InventoryReleasedPayload;
  INVENTORY_RESTOCKED: InventoryRestockedPayload;
  INVENTORY_ITEM_CREATED: InventoryItemCreatedPayload;
  INVENTORY_ITEM_UPDATED: InventoryItemUpdatedPayload;
  INVENTORY_ITEM_DELETED: InventoryItemDeletedPayload;
  INVENTORY_RESERVATION_EXPIRED: InventoryReservationExpiredPayload;
  PAYMENT_AUTHORIZED: PaymentAuthorizedPayload;
  PAYMENT_DECLINED: PaymentDeclinedPayload;
  PAYMENT_CAPTURED: PaymentCapturedPayload;
  PAYMENT_VOIDED: PaymentVoidedPayload;
  PAYMENT_REFUNDED: PaymentRefundedPayload;
}

/**
 * An event type with its payload, for a producer that picks the type at run time: `EventOf<A | B>`
 * is `{ type: A; payload: A's payload } | { type: B; payload: B's payload }`.
 */
export type EventOf<T extends EventType = EventType> = {
  [K in T]: { type: K; payload: EventPayloads[K] };
}[T];
