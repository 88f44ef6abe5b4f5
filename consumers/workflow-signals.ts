import type { Client } from '@temporalio/client';
import { EventType } from '../domain/events';
import type { OrdersDb } from '../domain/orders/db';
import type { Logger } from '../lib/logger';
import { carrierMoves, orderWorkflowId, statusSignal, type StatusChangeRequest } from '../workflows/contract';
import type { ConsumerDefinition } from './runtime/consumer-runner';
import { alreadyProcessed, markProcessed } from './runtime/idempotency';
import { outboxPayload, parseOutboxEvent } from './runtime/outbox-event';
import { PermanentError } from './runtime/retry';
import { signalOnce, signalRequestId } from './signal-once';

export const WORKFLOW_SIGNALS_CONSUMER = 'trackops-workflow-signals';

/** Thrown for an order whose saga has not confirmed it yet: retried, then dead-lettered for replay. */
export class OrderNotConfirmedYetError extends Error {
  constructor(orderId: string) {
    super(`order ${orderId} is not confirmed yet; the carrier event waits`);
    this.name = 'OrderNotConfirmedYetError';
  }
}

/** What the workflow-signals consumer works with. */
export interface WorkflowSignalsDeps {
  /** The order's status, and processed_events. */
  ordersDb: OrdersDb;
  temporal: Client;
  logger: Logger;
}

/**
 * Carrier shipment and delivery reports (ORDER_SHIPMENT_EVENT on trackops.orders) become the
 * order's `advanceStatus` signal with source 'carrier'; the saga records the status.
 *
 * - The saga goes CONFIRMED -> SHIPPED directly, so PROCESSING is never implied. DELIVERED for an
 *   order that has not shipped yet (the carrier's SHIPPED scan was missed) sends SHIPPED first:
 *   a parcel that was delivered was shipped, and the saga refuses CONFIRMED -> DELIVERED.
 * - An order the saga has not confirmed yet (the report raced the confirmation) is retried, and
 *   after the retries goes to the DLQ, from where `trackops dlq replay` brings it back. A report for
 *   a cancelled order, or one the order has already passed, changes nothing and is acknowledged.
 * - Status changes made through `PUT /api/orders/:id/status` already went through the saga (it
 *   wrote them), so their ORDER_STATUS_UPDATED / ORDER_DELIVERED events are not signalled back.
 *
 * Exactly once, although a signal is not part of a database transaction: a processed_events row
 * written in the same transaction as the signal could commit while the signal failed (lost event),
 * or the signal could succeed while the commit failed. So the order is: skip if processed_events
 * has the event; signal; then record processed_events in a transaction of its own. A crash between
 * signal and record redelivers the event, which signals again with the same request id, which the
 * server drops as a duplicate; should it get through anyway (a new run), the saga ignores a status
 * it already has or a transition that is no longer legal (it logs and ignores). A closed workflow is
 * no error: the event is acknowledged.
 */
export function workflowSignalsConsumer(deps: WorkflowSignalsDeps): ConsumerDefinition {
  const { ordersDb, temporal, logger } = deps;
  return {
    name: WORKFLOW_SIGNALS_CONSUMER,
    topics: ['trackops.orders'],
    // A little more patience than the default for a report that raced the order's confirmation.
    retry: { maxAttempts: 6, initialDelayMs: 250, maxDelayMs: 4000 },
    async handle({ message }) {
      const event = parseOutboxEvent(message);
      if (event.type !== EventType.OrderShipmentEvent) return;
      if (await alreadyProcessed(ordersDb, WORKFLOW_SIGNALS_CONSUMER, event.id)) return;
      const report = outboxPayload(event, EventType.OrderShipmentEvent);
      const order = await ordersDb.order.findUnique({
        where: { id: report.orderId },
        select: { status: true },
      });
      if (!order) throw new PermanentError(`shipment event ${event.id}: order ${report.orderId} not found`);
      const log = {
        eventId: event.id,
        orderId: report.orderId,
        reported: report.status,
        order: order.status,
      };
      if (order.status === 'PENDING') throw new OrderNotConfirmedYetError(report.orderId);

      // The carrier feed only ever moves an order forward (the state machine says how).
      const statuses = carrierMoves(order.status, report.status);
      if (order.status === 'CANCELLED') {
        logger.warn(log, 'carrier reported a cancelled order; nothing to signal');
      } else if (statuses.length === 0) {
        logger.info(log, 'order already at or past the reported status; nothing to signal');
      }

      for (const newStatus of statuses) {
        const outcome = await signalOnce(temporal, {
          workflowId: orderWorkflowId(report.orderId),
          signalName: statusSignal.name,
          arg: { newStatus, source: 'carrier' } satisfies StatusChangeRequest,
          requestId: signalRequestId(WORKFLOW_SIGNALS_CONSUMER, event.id, newStatus),
        });
        if (outcome !== 'signalled') {
          logger.warn({ ...log, outcome }, 'order workflow is not running; carrier event acknowledged');
          break;
        }
      }
      await markProcessed(ordersDb, WORKFLOW_SIGNALS_CONSUMER, event.id);
    },
  };
}
