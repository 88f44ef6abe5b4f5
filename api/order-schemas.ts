import { z } from 'zod';
import { FULFILMENT_STATUSES, ORDER_STATUSES } from '../workflows/contract';

export const MAX_ITEMS_PER_ORDER = 50;
export const MAX_QUANTITY_PER_LINE = 1000;

const text = (max: number) => z.string().trim().min(1, 'must not be blank').max(max);

export const addressSchema = z.strictObject({
  streetAddress: text(200),
  city: text(100),
  state: text(100).optional(),
  postalCode: text(20),
  country: text(56),
  phoneNumber: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{5,25}$/, 'must be a phone number')
    .optional(),
});

export const createOrderSchema = z.strictObject({
  customerId: text(64),
  items: z
    .array(
      z.strictObject({
        productId: text(64),
        quantity: z
          .number({ error: 'must be a number' })
          .int('must be a whole number')
          .positive('must be greater than 0')
          .max(MAX_QUANTITY_PER_LINE, `must be at most ${MAX_QUANTITY_PER_LINE}`),
      }),
    )
    .min(1, 'an order needs at least one item')
    .max(MAX_ITEMS_PER_ORDER, `an order may have at most ${MAX_ITEMS_PER_ORDER} items`),
  address: addressSchema,
  deliveryInstructions: z.string().trim().max(500).optional(),
  /** Wait for a restock instead of cancelling when stock is short. */
  allowBackorder: z.boolean().optional(),
  /** A tokenised card from the payment provider's client library. */
  paymentMethod: z
    .string()
    .regex(/^tok_[A-Za-z0-9_]{1,60}$/, 'must be a payment token such as tok_visa')
    .optional(),
});
export type CreateOrderRequest = z.infer<typeof createOrderSchema>;

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const statusChangeSchema = z.strictObject({
  newStatus: z.enum(FULFILMENT_STATUSES, {
    error: `must be one of ${FULFILMENT_STATUSES.join(', ')} (cancel with DELETE)`,
  }),
});

export const orderIdSchema = z.uuid({ error: 'must be a UUID' });

export const orderListFilterSchema = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  customerId: text(64).optional(),
});
