import type { ShipmentEvent } from './db';

/** A carrier's shipment report as the REST API shows it: the carrier's event id as `eventId`. */
export function shipmentEventView(row: ShipmentEvent) {
  return {
    id: row.id,
    orderId: row.orderId,
    carrier: row.carrier,
    eventId: row.carrierEventId,
    status: row.status,
    trackingNumber: row.trackingNumber,
    occurredAt: row.occurredAt.toISOString(),
    receivedAt: row.receivedAt.toISOString(),
  };
}
export type ShipmentEventView = ReturnType<typeof shipmentEventView>;
