import type { Order, OrderItem } from '../domain/orders/db';
import type { OrderSagaInput } from '../workflows/contract';

export interface SagaSettings {
  paymentMethod: string;
  shipmentSla: string;
  /** Used only when the order allows a backorder. */
  backorderTimeout: string;
  traceparent?: string;
}

/** The saga's input for an order just written: amounts and lines as stored, never as requested. */
export function sagaInputFor(order: Order, items: OrderItem[], settings: SagaSettings): OrderSagaInput {
  return {
    orderId: order.id,
    customerId: order.customerId,
    items: items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
    totalAmount: order.totalAmount.toFixed(2),
    currency: order.currency,
    paymentMethod: settings.paymentMethod,
    allowBackorder: order.allowBackorder,
    ...(order.allowBackorder ? { backorderTimeout: settings.backorderTimeout } : {}),
    shipmentSla: settings.shipmentSla,
    ...(settings.traceparent ? { traceparent: settings.traceparent } : {}),
  };
}
