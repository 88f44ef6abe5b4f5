import type { PricedOrder } from '../domain/orders/place-order';
import type { OrderDraft, OrderSagaInput } from '../workflows/contract';

export interface SagaSettings {
  paymentMethod: string;
  shipmentSla: string;
  /** Used only when the order allows a backorder. */
  backorderTimeout: string;
  /** The HTTP request placing the order (a retry of it is another request). */
  requestId: string;
  traceparent?: string;
}

/** The saga's input for a priced order: amounts and lines as inventory priced them, never as requested. */
export function sagaInputFor(
  priced: PricedOrder,
  settings: SagaSettings,
): OrderSagaInput & { draft: OrderDraft } {
  return {
    orderId: priced.orderId,
    customerId: priced.customerId,
    items: priced.draft.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    totalAmount: priced.totalAmount,
    currency: priced.currency,
    paymentMethod: settings.paymentMethod,
    allowBackorder: priced.allowBackorder,
    ...(priced.allowBackorder ? { backorderTimeout: settings.backorderTimeout } : {}),
    shipmentSla: settings.shipmentSla,
    ...(settings.traceparent ? { traceparent: settings.traceparent } : {}),
    draft: { ...priced.draft, requestId: settings.requestId },
  };
}
