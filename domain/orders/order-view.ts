import type { Order, OrderItem } from './db';

/** The order as the REST API shows it (the seed system's field names, money as strings). */
export function orderView(order: Order, items?: OrderItem[]) {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    totalAmount: order.totalAmount.toFixed(2),
    currency: order.currency,
    address: {
      streetAddress: order.streetAddress,
      city: order.city,
      state: order.state,
      postalCode: order.postalCode,
      country: order.country,
      phoneNumber: order.phoneNumber,
    },
    deliveryInstructions: order.deliveryInstructions,
    cancellationReason: order.cancellationReason,
    allowBackorder: order.allowBackorder,
    workflowId: order.workflowId,
    version: order.version,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    ...(items ? { items: items.map(orderItemView) } : {}),
  };
}

export function orderItemView(item: OrderItem) {
  return {
    id: item.id,
    productId: item.productId,
    productName: item.productName,
    quantity: item.quantity,
    unitPrice: item.unitPrice.toFixed(2),
    lineTotal: item.lineTotal.toFixed(2),
  };
}

export type OrderView = ReturnType<typeof orderView>;
