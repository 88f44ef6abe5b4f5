/**
 * Everything the API, the consumers and the worker share about the order saga: names, ids,
 * message definitions and the saga's state shape. Side-effect free, so the workflow bundle and
 * ordinary Node processes can both import it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { OrderView } from '../domain/orders/order-view';
import type { FulfilmentStatus, OrderStatus } from './order-status';

export const ORDERS_TASK_QUEUE = 'orders';

export const orderWorkflowId = (orderId: string) => `order-${orderId}`;

export {
  canFulfil,
  canMove,
  carrierMoves,
  FULFILMENT_STATUSES,
  isCancellable,
  NEXT_STATUSES,
  ORDER_STATUSES,
  type FulfilmentStatus,
  type OrderStatus,
} from './order-status';

export const CANCELLATION_REASONS = [
  'OUT_OF_STOCK',
  'PAYMENT_DECLINED',
  'PAYMENT_TIMEOUT',
  'CUSTOMER_REQUEST',
  'BACKORDER_EXPIRED',
  /** The workflow execution was cancelled by an operator (Web UI, CLI). */
  'OPERATOR_REQUEST',
  'SYSTEM_ERROR',
] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

/** Application failure types; business ones are non-retryable. */
export const FailureType = {
  InsufficientStock: 'InsufficientStock',
  PaymentDeclined: 'PaymentDeclined',
  PaymentProviderTimeout: 'PaymentProviderTimeout',
  /** The provider kept failing for longer than authorisation waits for it (PAYMENT_PROVIDER_BUDGET_MS). */
  PaymentProviderUnavailable: 'PaymentProviderUnavailable',
  OrderNotFound: 'OrderNotFound',
  /** The Idempotency-Key already belongs to another order id (written before v3). */
  IdempotencyKeyTaken: 'IdempotencyKeyTaken',
  /** The saga could not write its order in time; it ends without one. */
  OrderNotPlaced: 'OrderNotPlaced',
} as const;

export interface OrderLine {
  productId: string;
  quantity: number;
}

export interface OrderSagaInput {
  orderId: string;
  customerId: string;
  items: OrderLine[];
  /** Decimal string with two places: money never travels as a float. */
  totalAmount: string;
  currency: string;
  /** Tokenised card for the payment provider, e.g. 'tok_visa'. */
  paymentMethod: string;
  allowBackorder?: boolean;
  /** How long a backordered saga waits for a restock, e.g. '7d'. */
  backorderTimeout?: string;
  /** How long a confirmed order may wait for shipment before an SLA alert, e.g. '48h'. */
  shipmentSla?: string;
  /** W3C traceparent of the request that created the order, carried into outbox rows. */
  traceparent?: string;
  /**
   * The order as the API priced it, for the saga's first step to write (from v3; before that the
   * API wrote the order and then started the saga).
   */
  draft?: OrderDraft;
}

/** One order line with the price inventory gave it: decimal strings, never floats. */
export interface PricedLine extends OrderLine {
  productName: string;
  unitPrice: string;
  lineTotal: string;
}

export interface ShippingAddress {
  streetAddress: string;
  city: string;
  state?: string;
  postalCode: string;
  country: string;
  phoneNumber?: string;
}

/** Everything the order's rows need beyond the saga input's own fields. */
export interface OrderDraft {
  lines: PricedLine[];
  address: ShippingAddress;
  deliveryInstructions?: string;
  idempotencyKey?: string;
  /** Hash of the request that used the key: the same key with another request is refused. */
  requestFingerprint?: string;
  /** The HTTP request that started the saga; `orderPlaced` from any other request is a replay. */
  requestId: string;
}

export interface PlacementRequest {
  requestId: string;
}

/** The order's rows once written. */
export interface PlacedOrder {
  order: OrderView;
  requestFingerprint: string | null;
  /** False when the row was there already: an earlier run of this order's saga wrote it. */
  written?: boolean;
}

/** What `orderPlaced` answers: the order, and whether an earlier request placed it. */
export interface PlacementAnswer extends PlacedOrder {
  replayed: boolean;
}

export type SagaStep =
  | 'PLACING_ORDER'
  | 'RESERVING_INVENTORY'
  | 'AWAITING_RESTOCK'
  | 'AUTHORIZING_PAYMENT'
  | 'CONFIRMING'
  | 'AWAITING_FULFILMENT'
  | 'COMPENSATING'
  | 'COMPLETED'
  | 'CANCELLED';

export interface TimelineEntry {
  step: string;
  outcome: 'STARTED' | 'COMPLETED' | 'FAILED' | 'SIGNALLED' | 'ALERT';
  at: string;
  detail?: string;
}

export interface CompensationRecord {
  name: string;
  at: string;
  outcome: 'COMPLETED' | 'FAILED';
  attempts?: number;
  error?: string;
}

export interface SagaState {
  orderId: string;
  status: OrderStatus;
  step: SagaStep;
  timeline: TimelineEntry[];
  compensations: CompensationRecord[];
  cancellationReason?: CancellationReason;
  paymentIdempotencyKey?: string;
  slaBreached: boolean;
}

export interface SagaResult {
  orderId: string;
  status: OrderStatus;
  cancellationReason?: CancellationReason;
}

export interface CancelRequest {
  reason: CancellationReason;
  detail?: string;
}

export interface StatusChangeRequest {
  newStatus: FulfilmentStatus;
  /** Where the change came from, for the audit trail: 'api', 'carrier', ... */
  source?: string;
}

export interface RestockNotice {
  productId: string;
}

export const sagaStateQuery = defineQuery<SagaState>('sagaState');
/** Fire-and-forget status progress, e.g. from a carrier feed consumer. */
export const statusSignal = defineSignal<[StatusChangeRequest]>('advanceStatus');
/** The same, with an answer: refused when the transition is illegal in the saga's current state. */
export const statusUpdate = defineUpdate<OrderStatus, [StatusChangeRequest]>('changeStatus');
export const cancelSignal = defineSignal<[CancelRequest]>('cancelOrder');
/** Cancellation with an answer: refused once the order has shipped. */
export const cancelUpdate = defineUpdate<SagaState, [CancelRequest]>('requestCancellation');
export const restockSignal = defineSignal<[RestockNotice]>('restock');
/**
 * Sent with the saga's start (update-with-start): answers once the saga has written its order, so
 * the client's 201 means the order is stored; a retried request with the same id gets the same order.
 */
export const orderPlacedUpdate = defineUpdate<PlacementAnswer, [PlacementRequest]>('orderPlaced');

export const OrderIdKey = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
