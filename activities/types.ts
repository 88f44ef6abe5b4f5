/**
 * The inputs and results of the saga's activities. The workflow imports only these types (and
 * `typeof createActivities`), never the implementations.
 */
import type {
  CancellationReason,
  OrderDraft,
  OrderLine,
  OrderStatus,
  PlacedOrder,
} from '../workflows/contract';

export interface TraceContext {
  traceparent?: string;
}

/** The order's rows as the saga writes them (from v3). */
export interface PlaceOrderInput extends TraceContext {
  orderId: string;
  customerId: string;
  totalAmount: string;
  currency: string;
  allowBackorder: boolean;
  draft: OrderDraft;
}

export interface ReserveInventoryInput extends TraceContext {
  orderId: string;
  items: OrderLine[];
  /** The saga wrote the order itself (v3), so there is no commit of the API's to wait for. */
  orderWritten?: boolean;
}

export interface ReserveInventoryResult {
  reservationIds: string[];
}

export interface OrderRef extends TraceContext {
  orderId: string;
}

export interface ReleaseInventoryResult {
  released: number;
}

export interface AuthorizePaymentInput extends TraceContext {
  orderId: string;
  amount: string;
  currency: string;
  idempotencyKey: string;
  /** The customer's tokenised card, passed through to the provider. */
  paymentMethod: string;
}

export interface AuthorizePaymentResult {
  providerReference: string;
}

export interface PaymentRef extends TraceContext {
  orderId: string;
  idempotencyKey: string;
}

export type PaymentCompensation = 'VOIDED' | 'REFUNDED' | 'NONE';

export interface RecordStatusInput extends TraceContext {
  orderId: string;
  status: OrderStatus;
  reason?: CancellationReason;
  detail?: string;
  source?: string;
}

export interface SlaAlertInput extends TraceContext {
  orderId: string;
  sla: string;
}

/** What the worker registers; the workflow calls these through proxyActivities. */
export interface OrderActivities {
  placeOrder(input: PlaceOrderInput): Promise<PlacedOrder>;
  reserveInventory(input: ReserveInventoryInput): Promise<ReserveInventoryResult>;
  releaseInventory(input: OrderRef): Promise<ReleaseInventoryResult>;
  commitInventory(input: OrderRef): Promise<void>;
  authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentResult>;
  capturePayment(input: PaymentRef): Promise<void>;
  voidOrRefundPayment(input: PaymentRef): Promise<PaymentCompensation>;
  recordOrderStatus(input: RecordStatusInput): Promise<void>;
  raiseShipmentSlaAlert(input: SlaAlertInput): Promise<void>;
}

/** The saga's steps grouped by the retry policy each runs under (workflows/saga-activities.ts). */
export type DatabaseSteps = Pick<
  OrderActivities,
  'reserveInventory' | 'commitInventory' | 'recordOrderStatus' | 'raiseShipmentSlaAlert'
>;
export type PaymentSteps = Pick<OrderActivities, 'authorizePayment' | 'capturePayment'>;
export type Compensations = Pick<OrderActivities, 'releaseInventory' | 'voidOrRefundPayment'>;
export type Placement = Pick<OrderActivities, 'placeOrder'>;
