import type { OrderShipmentEventPayload } from '../../events/payloads';
import { AggregateType, EventType, outboxEntry } from '../events';
import type { OrdersDb, ShipmentEvent } from './db';
import { OrderNotFoundError, writeOrdersOutbox } from './order-store';

/*
 * The carrier feed's records: a shipment or delivery report in shipment_events, with its
 * ORDER_SHIPMENT_EVENT outbox row in the same transaction. The workflow-signals consumer turns
 * the event into the saga's status signal.
 */

export const CARRIER_STATUSES = ['SHIPPED', 'DELIVERED'] as const;
export type CarrierStatus = (typeof CARRIER_STATUSES)[number];

export interface CarrierReport {
  orderId: string;
  status: CarrierStatus;
  carrier: string;
  /** The carrier's own id for the report: the same id again is the same report. */
  carrierEventId: string;
  trackingNumber?: string;
  /** When the carrier says it happened; defaults to now. */
  occurredAt?: Date;
}

/** The carrier already sent a report under this id, and it said something else. */
export class CarrierEventConflictError extends Error {
  constructor(report: CarrierReport, recorded: ShipmentEvent) {
    super(
      `carrier event ${report.carrierEventId} of ${report.carrier} was already recorded for order ${recorded.orderId} as ${recorded.status}`,
    );
    this.name = 'CarrierEventConflictError';
  }
}

export interface RecordedShipmentEvent {
  event: ShipmentEvent;
  /** False when the report was a repeat: the stored row is returned and nothing was written. */
  created: boolean;
}

const isUniqueViolation = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'P2002' || code === '23505';
};

const findByCarrierId = (db: OrdersDb, carrier: string, carrierEventId: string) =>
  db.shipmentEvent.findUnique({ where: { carrier_carrierEventId: { carrier, carrierEventId } } });

function asRepeat(recorded: ShipmentEvent, report: CarrierReport): RecordedShipmentEvent {
  if (recorded.orderId !== report.orderId || recorded.status !== report.status) {
    throw new CarrierEventConflictError(report, recorded);
  }
  return { event: recorded, created: false };
}

/**
 * Records a carrier's report once. A repeat (same carrier and event id, same order and status)
 * returns the stored row; the same id with other content is a CarrierEventConflictError, an
 * unknown order an OrderNotFoundError.
 */
export async function recordShipmentEvent(
  db: OrdersDb,
  report: CarrierReport,
  traceparent?: string,
): Promise<RecordedShipmentEvent> {
  const earlier = await findByCarrierId(db, report.carrier, report.carrierEventId);
  if (earlier) return asRepeat(earlier, report);
  const order = await db.order.findUnique({
    where: { id: report.orderId },
    select: { id: true, customerId: true },
  });
  if (!order) throw new OrderNotFoundError(report.orderId);
  try {
    const event = await db.$transaction(async (tx) => {
      const created = await tx.shipmentEvent.create({
        data: {
          orderId: order.id,
          carrier: report.carrier,
          carrierEventId: report.carrierEventId,
          status: report.status,
          trackingNumber: report.trackingNumber ?? null,
          occurredAt: report.occurredAt ?? new Date(),
        },
      });
      await writeOrdersOutbox(
        tx,
        outboxEntry(
          AggregateType.orders,
          order.id,
          EventType.OrderShipmentEvent,
          {
            orderId: order.id,
            customerId: order.customerId,
            shipmentEventId: created.id,
            carrier: created.carrier,
            carrierEventId: created.carrierEventId,
            status: report.status,
            trackingNumber: created.trackingNumber,
            occurredAt: created.occurredAt.toISOString(),
          } satisfies OrderShipmentEventPayload,
          traceparent,
        ),
      );
      return created;
    });
    return { event, created: true };
  } catch (error) {
    // Two deliveries of one report at once: the loser answers like a repeat.
    if (!isUniqueViolation(error)) throw error;
    const winner = await findByCarrierId(db, report.carrier, report.carrierEventId);
    if (!winner) throw error;
    return asRepeat(winner, report);
  }
}

/** One recorded report, or null when there is none with that id. */
export function findShipmentEvent(db: OrdersDb, id: string): Promise<ShipmentEvent | null> {
  return db.shipmentEvent.findUnique({ where: { id } });
}
