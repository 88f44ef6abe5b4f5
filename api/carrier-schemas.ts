import { z } from 'zod';
import { CARRIER_STATUSES } from '../domain/orders/shipment-events';

/* The carrier feed's request schemas. */

const text = (max: number) => z.string().trim().min(1, 'must not be blank').max(max);

/** A carrier's report: the order shipped or was delivered. `eventId` is the carrier's own id. */
export const carrierEventSchema = z.strictObject({
  orderId: z.uuid({ error: 'must be a UUID' }),
  status: z.enum(CARRIER_STATUSES, { error: 'must be SHIPPED or DELIVERED' }),
  carrier: text(64),
  trackingNumber: text(100).optional(),
  occurredAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
    .transform((value) => new Date(value))
    .optional(),
  eventId: text(128),
});
export type CarrierEventRequest = z.infer<typeof carrierEventSchema>;

export const shipmentEventIdSchema = z.uuid({ error: 'must be a UUID' });
