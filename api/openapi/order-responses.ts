import { z } from 'zod';
import type { orderItemView, OrderView } from '../../domain/orders/order-view';
import type { ShipmentEventView } from '../../domain/orders/shipment-event-view';
import { CARRIER_STATUSES } from '../../domain/orders/shipment-events';
import { CANCELLATION_REASONS, ORDER_STATUSES, type SagaState } from '../../workflows/contract';

/*
 * The order API's answers. Each schema is checked against the type of the view that builds the
 * answer (`satisfies`), and the contract test checks real answers against them with ajv.
 */

type OrderItemView = ReturnType<typeof orderItemView>;

const money = z.string().regex(/^-?\d+\.\d{2}$/);
const timestamp = z.iso.datetime();

export const orderItemSchema = z.strictObject({
  id: z.uuid(),
  productId: z.string(),
  productName: z.string(),
  quantity: z.int().min(1),
  unitPrice: money,
  lineTotal: money,
}) satisfies z.ZodType<OrderItemView>;

export const orderSchema = z.strictObject({
  id: z.uuid(),
  customerId: z.string(),
  status: z.enum(ORDER_STATUSES),
  totalAmount: money,
  currency: z.string(),
  address: z.strictObject({
    streetAddress: z.string(),
    city: z.string(),
    state: z.string().nullable(),
    postalCode: z.string(),
    country: z.string(),
    phoneNumber: z.string().nullable(),
  }),
  deliveryInstructions: z.string().nullable(),
  cancellationReason: z.string().nullable(),
  allowBackorder: z.boolean(),
  workflowId: z.string().nullable(),
  version: z.int().min(0),
  createdAt: timestamp,
  updatedAt: timestamp,
  items: z.array(orderItemSchema).optional(),
}) satisfies z.ZodType<Omit<OrderView, 'items'> & { items?: OrderItemView[] }>;

/** The answer of POST /api/orders and GET /api/orders/{id}: the order and its tracking token. */
export const trackedOrderSchema = orderSchema.extend({
  trackingToken: z
    .string()
    .describe('Opens `/track/{orderId}` and the order stream without an account: keep it with the order.'),
});

const timelineEntrySchema = z.strictObject({
  step: z.string(),
  outcome: z.enum(['STARTED', 'COMPLETED', 'FAILED', 'SIGNALLED', 'ALERT']),
  at: timestamp,
  detail: z.string().optional(),
});

const compensationSchema = z.strictObject({
  name: z.string(),
  at: timestamp,
  outcome: z.enum(['COMPLETED', 'FAILED']),
  attempts: z.int().optional(),
  error: z.string().optional(),
});

export const sagaStateSchema = z.strictObject({
  orderId: z.uuid(),
  status: z.enum(ORDER_STATUSES),
  step: z.enum([
    'PLACING_ORDER',
    'RESERVING_INVENTORY',
    'AWAITING_RESTOCK',
    'AUTHORIZING_PAYMENT',
    'CONFIRMING',
    'AWAITING_FULFILMENT',
    'COMPENSATING',
    'COMPLETED',
    'CANCELLED',
  ]),
  timeline: z.array(timelineEntrySchema),
  compensations: z.array(compensationSchema),
  cancellationReason: z.enum(CANCELLATION_REASONS).optional(),
  paymentIdempotencyKey: z.string().optional(),
  slaBreached: z.boolean(),
}) satisfies z.ZodType<SagaState>;

export const cancellationSchema = z.union([
  z.strictObject({ orderId: z.uuid(), status: z.literal('CANCELLATION_REQUESTED'), saga: sagaStateSchema }),
  z.strictObject({ orderId: z.uuid(), status: z.literal('CANCELLED') }),
]);

export const shipmentEventSchema = z.strictObject({
  id: z.uuid(),
  orderId: z.uuid(),
  carrier: z.string(),
  eventId: z.string(),
  status: z.enum(CARRIER_STATUSES),
  trackingNumber: z.string().nullable(),
  occurredAt: timestamp,
  receivedAt: timestamp,
}) satisfies z.ZodType<ShipmentEventView>;
