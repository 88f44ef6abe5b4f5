import { z } from 'zod';
import { RESERVATION_STATUSES } from '../domain/inventory/catalog';

/* The inventory API's request schemas: bodies, query filters and path parameters. */

/** Upper bound for any stock quantity: far below int4's limit, so sums of them cannot overflow it. */
export const MAX_STOCK_QUANTITY = 100_000_000;
/** A manual hold may last at most this long. */
export const MAX_HOLD_MS = 30 * 24 * 60 * 60 * 1000;
/** unit_price is DECIMAL(12,2): ten integer digits. */
const MAX_PRICE_INTEGER_DIGITS = 10;

const text = (max: number) =>
  z.string({ error: 'must be a string' }).trim().min(1, 'must not be blank').max(max);

export const productIdSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be blank')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, _ and -');

const quantity = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must not be negative')
  .max(MAX_STOCK_QUANTITY, `must be at most ${MAX_STOCK_QUANTITY}`);

/**
 * A positive price with at most two decimal places, as a JSON number or a decimal string. The
 * number's shortest decimal form is what gets checked, so 19.99 is accepted and 0.1 + 0.2 is not;
 * the result is a decimal string handed to Prisma.Decimal, never a float.
 */
export const priceSchema = z
  .union([z.number(), z.string()], {
    error: (issue) =>
      issue.input === undefined ? 'is required' : 'must be a number or a decimal string such as "19.99"',
  })
  .transform((value, ctx) => {
    const textForm = typeof value === 'number' ? String(value) : value.trim();
    const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(textForm);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: 'must be a decimal number such as 19.99' });
      return z.NEVER;
    }
    const [, minus, whole = '', fraction = ''] = match;
    if (fraction.length > 2) {
      ctx.addIssue({ code: 'custom', message: 'must have at most 2 decimal places' });
      return z.NEVER;
    }
    if (minus || !/[1-9]/.test(whole + fraction)) {
      ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
      return z.NEVER;
    }
    if (whole.replace(/^0+(?=\d)/, '').length > MAX_PRICE_INTEGER_DIGITS) {
      ctx.addIssue({ code: 'custom', message: `must be less than 1e${MAX_PRICE_INTEGER_DIGITS}` });
      return z.NEVER;
    }
    return fraction ? `${whole}.${fraction}` : whole;
  })
  // What the checks above accept, said in JSON Schema for the document (it cannot see a transform).
  .meta({
    description: 'Greater than 0, at most 2 decimal places, less than 1e10.',
    anyOf: [
      {
        type: 'number',
        exclusiveMinimum: 0,
        exclusiveMaximum: 10 ** MAX_PRICE_INTEGER_DIGITS,
        // No multipleOf 0.01: in floating point 19.99 is no multiple of 0.01, so validators would
        // refuse good prices; the description says the rule.
      },
      {
        type: 'string',
        pattern: `^\\d{1,${MAX_PRICE_INTEGER_DIGITS}}(\\.\\d{1,2})?$`,
        not: { pattern: '^[0.]*$' },
        examples: ['19.99'],
      },
    ],
  });

const levelsInOrder = (value: { minStockLevel?: number; maxStockLevel?: number }) =>
  value.minStockLevel === undefined ||
  value.maxStockLevel === undefined ||
  value.minStockLevel <= value.maxStockLevel;
const levelsMessage = { message: 'must not be greater than maxStockLevel', path: ['minStockLevel'] };

export const createItemSchema = z
  .strictObject({
    productId: productIdSchema,
    productName: text(255),
    description: text(2000).nullable().optional(),
    availableQuantity: quantity,
    unitPrice: priceSchema,
    category: text(100).nullable().optional(),
    minStockLevel: quantity.optional(),
    maxStockLevel: quantity.optional(),
    reorderQuantity: quantity.optional(),
  })
  .refine(levelsInOrder, levelsMessage);

export const updateItemSchema = z
  .strictObject({
    productName: text(255).optional(),
    description: text(2000).nullable().optional(),
    availableQuantity: quantity.optional(),
    unitPrice: priceSchema.optional(),
    category: text(100).nullable().optional(),
    minStockLevel: quantity.optional(),
    maxStockLevel: quantity.optional(),
    reorderQuantity: quantity.optional(),
    /** Optimistic lock: the version the client last saw; a different current version is a 409. */
    version: z.number({ error: 'must be a number' }).int('must be a whole number').min(0).optional(),
  })
  .refine(levelsInOrder, levelsMessage)
  .refine((value) => Object.keys(value).some((key) => key !== 'version'), {
    message: 'name at least one field to change',
  })
  // A quantity replaces the stock: based on a stale read it would create or destroy units.
  .refine((value) => value.availableQuantity === undefined || value.version !== undefined, {
    path: ['version'],
    message: 'required with availableQuantity: the version of the item the new quantity is based on',
  });

const orderIdSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be blank')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits, _ . : and -');

const holdKeySchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be blank')
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits, _ . : and -');

export const createReservationSchema = z.strictObject({
  productId: productIdSchema,
  quantity: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .positive('must be greater than 0')
    .max(MAX_STOCK_QUANTITY, `must be at most ${MAX_STOCK_QUANTITY}`),
  /** Idempotency of the hold; the hold is owned by `manual-<holdKey>`, never by an order. */
  holdKey: holdKeySchema.optional(),
  expiresAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone' })
    .transform((value) => new Date(value))
    .refine((date) => date.getTime() > Date.now(), 'must be in the future')
    .refine((date) => date.getTime() <= Date.now() + MAX_HOLD_MS, 'must be at most 30 days ahead'),
});

export const categoryFilterSchema = z.object({ category: text(100).optional() });
export const reservationFilterSchema = z.object({
  orderId: orderIdSchema.optional(),
  productId: productIdSchema.optional(),
  status: z
    .enum(RESERVATION_STATUSES, { error: `must be one of ${RESERVATION_STATUSES.join(', ')}` })
    .optional(),
});
export const reservationIdSchema = z.uuid('must be a UUID');
