import { Router } from 'express';
import { z } from 'zod';
import { AggregateType, EventType, outboxEntry } from '../../domain/events';
import type { OrdersDb } from '../../domain/orders/db';
import { writeOrdersOutbox } from '../../domain/orders/order-store';
import type { ApiDependencies } from '../dependencies';
import { conflict, notFound } from '../errors';
import { traceparentOf } from '../request-context';
import { parseOrThrow } from '../validation';

const text = (max: number) => z.string().trim().min(1, 'must not be blank').max(max);

/** A carrier's report: the order shipped or was delivered. `eventId` is the carrier's own id. */
export const carrierEventSchema = z.strictObject({
  orderId: z.uuid({ error: 'must be a UUID' }),
  status: z.enum(['SHIPPED', 'DELIVERED'], { error: 'must be SHIPPED or DELIVERED' }),
  carrier: text(64),
  trackingNumber: text(100).optional(),
  occurredAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  eventId: text(128),
});
export type CarrierEventRequest = z.infer<typeof carrierEventSchema>;

type ShipmentEventRow = Awaited<ReturnType<OrdersDb['shipmentEvent']['findUniqueOrThrow']>>;

export function shipmentEventView(row: ShipmentEventRow) {
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

const isUniqueViolation = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'P2002' || code === '23505';
};

/**
 * The carrier feed: `POST /api/carrier/events` records a shipment or delivery report in
 * shipment_events and its ORDER_SHIPMENT_EVENT outbox row in one transaction; the workflow-signals
 * consumer turns the event into the saga's status signal. A report the carrier sends again (same
 * carrier and event id) answers 200 with the stored row and writes nothing; the same id with other
 * content is a 409.
 */
export function createCarrierRouter(deps: ApiDependencies): Router {
  const router = Router();
  const { ordersDb } = deps;

  const existing = (carrier: string, carrierEventId: string) =>
    ordersDb.shipmentEvent.findUnique({ where: { carrier_carrierEventId: { carrier, carrierEventId } } });

  const answerRepeat = (row: ShipmentEventRow, report: CarrierEventRequest) => {
    if (row.orderId !== report.orderId || row.status !== report.status) {
      throw conflict(
        `carrier event ${report.eventId} of ${report.carrier} was already recorded for order ${row.orderId} as ${row.status}`,
      );
    }
    return shipmentEventView(row);
  };

  router.post('/events', async (req, res) => {
    const report = parseOrThrow(carrierEventSchema, req.body, 'carrier event');
    const earlier = await existing(report.carrier, report.eventId);
    if (earlier) {
      res.status(200).json(answerRepeat(earlier, report));
      return;
    }
    const order = await ordersDb.order.findUnique({
      where: { id: report.orderId },
      select: { id: true, customerId: true },
    });
    if (!order) throw notFound(`order ${report.orderId} not found`);
    const traceparent = traceparentOf(req);
    try {
      const row = await ordersDb.$transaction(async (tx) => {
        const created = await tx.shipmentEvent.create({
          data: {
            orderId: order.id,
            carrier: report.carrier,
            carrierEventId: report.eventId,
            status: report.status,
            trackingNumber: report.trackingNumber ?? null,
            occurredAt: report.occurredAt ? new Date(report.occurredAt) : new Date(),
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
              status: created.status,
              trackingNumber: created.trackingNumber,
              occurredAt: created.occurredAt.toISOString(),
            },
            traceparent,
          ),
        );
        return created;
      });
      res.status(201).location(`/api/carrier/events/${row.id}`).json(shipmentEventView(row));
    } catch (error) {
      // Two deliveries of one report at once: the loser answers like a repeat.
      if (!isUniqueViolation(error)) throw error;
      const winner = await existing(report.carrier, report.eventId);
      if (!winner) throw error;
      res.status(200).json(answerRepeat(winner, report));
    }
  });

  router.get('/events/:id', async (req, res) => {
    const id = parseOrThrow(z.uuid({ error: 'must be a UUID' }), req.params.id, 'id');
    const row = await ordersDb.shipmentEvent.findUnique({ where: { id } });
    if (!row) throw notFound(`shipment event ${id} not found`);
    res.json(shipmentEventView(row));
  });

  return router;
}
