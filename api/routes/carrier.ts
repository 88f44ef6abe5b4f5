import { Router } from 'express';
import { OrderNotFoundError } from '../../domain/orders/order-store';
import { shipmentEventView } from '../../domain/orders/shipment-event-view';
import {
  CarrierEventConflictError,
  findShipmentEvent,
  recordShipmentEvent,
} from '../../domain/orders/shipment-events';
import { carrierEventSchema, shipmentEventIdSchema } from '../carrier-schemas';
import { requireRole } from '../auth/middleware';
import type { ApiDependencies } from '../dependencies';
import { conflict, notFound } from '../errors';
import { traceparentOf } from '../request-context';
import { parseOrThrow } from '../validation';

/**
 * The carrier feed: `POST /api/carrier/events` records a shipment or delivery report
 * (domain/orders/shipment-events.ts); the workflow-signals consumer turns it into the saga's status
 * signal. A report the carrier sends again (same carrier and event id) answers 200 with the stored
 * row and writes nothing; the same id with other content is a 409.
 */
export function createCarrierRouter(deps: ApiDependencies): Router {
  const router = Router();
  const { ordersDb } = deps;

  router.post('/events', requireRole('carrier'), async (req, res) => {
    const { eventId, ...report } = parseOrThrow(carrierEventSchema, req.body, 'carrier event');
    try {
      const { event, created } = await recordShipmentEvent(
        ordersDb,
        { ...report, carrierEventId: eventId },
        traceparentOf(req),
      );
      if (!created) {
        res.status(200).json(shipmentEventView(event));
        return;
      }
      res.status(201).location(`/api/carrier/events/${event.id}`).json(shipmentEventView(event));
    } catch (error) {
      if (error instanceof OrderNotFoundError) throw notFound(error.message);
      if (error instanceof CarrierEventConflictError) throw conflict(error.message);
      throw error;
    }
  });

  router.get('/events/:id', requireRole('carrier', 'operator'), async (req, res) => {
    const id = parseOrThrow(shipmentEventIdSchema, req.params.id, 'id');
    const event = await findShipmentEvent(ordersDb, id);
    if (!event) throw notFound(`shipment event ${id} not found`);
    res.json(shipmentEventView(event));
  });

  return router;
}
