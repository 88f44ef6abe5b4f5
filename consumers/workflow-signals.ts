import { createHash } from 'node:crypto';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { EventType } from '../domain/events';
import { createOrdersDb, type OrdersDb } from '../domain/orders/db';
import type { Logger } from '../lib/logger';
import { createTemporalClient } from '../lib/temporal-client';
import {
  orderWorkflowId,
  statusSignal,
  type OrderStatus,
  type StatusChangeRequest,
} from '../workflows/contract';
import type { ConsumerContext } from './registry';
import type { ConsumerDefinition } from './runtime/consumer-runner';
import { alreadyProcessed, markProcessed } from './runtime/idempotency';
import { parseOutboxEvent } from './runtime/outbox-event';
import { PermanentError } from './runtime/retry';

export const WORKFLOW_SIGNALS_CONSUMER = 'trackops-workflow-signals';

/** gRPC NOT_FOUND: no such workflow, or (message "already completed") one that has closed. */
const GRPC_NOT_FOUND = 5;

export type SignalOutcome = 'signalled' | 'closed' | 'not-found';

export interface SignalRequest {
  workflowId: string;
  signalName: string;
  arg: unknown;
  /** Derived from the event, so a redelivered event repeats the same request id. */
  requestId: string;
}

/**
 * A request id made from the parts that identify one intended signal (consumer, event id, target,
 * what is signalled), formatted as a UUID.
 */
export function signalRequestId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Signals a workflow with a request id of our choosing. The SDK's `handle.signal()` always sends a
 * random one; the server remembers the request ids of the signals a running workflow received and
 * drops a repeat (it is not added to the history again), so a deterministic id makes a signal that a
 * crashed consumer sends a second time a no-op. A workflow that has closed (or never existed) is
 * reported, not thrown: the event has nothing left to change.
 */
export async function signalOnce(temporal: Client, request: SignalRequest): Promise<SignalOutcome> {
  try {
    await temporal.workflowService.signalWorkflowExecution({
      namespace: temporal.options.namespace,
      workflowExecution: { workflowId: request.workflowId },
      signalName: request.signalName,
      input: { payloads: [temporal.options.loadedDataConverter.payloadConverter.toPayload(request.arg)] },
      identity: temporal.options.identity,
      requestId: request.requestId,
    });
    return 'signalled';
  } catch (error) {
    const code: number | undefined = isGrpcServiceError(error) ? error.code : undefined;
    if (isGrpcServiceError(error) && code === GRPC_NOT_FOUND) {
      return /already completed|already finished/i.test(error.details ?? error.message)
        ? 'closed'
        : 'not-found';
    }
    throw error;
  }
}

/** The payload of ORDER_SHIPMENT_EVENT, as api/routes/carrier.ts writes it. */
export const shipmentEventPayloadSchema = z.object({
  orderId: z.uuid(),
  status: z.enum(['SHIPPED', 'DELIVERED']),
  carrier: z.string().min(1),
  carrierEventId: z.string().min(1),
  shipmentEventId: z.string().optional(),
  trackingNumber: z.string().nullish(),
  occurredAt: z.string().optional(),
});

/** How far along fulfilment a status is; the carrier feed only ever moves an order forward. */
const FULFILMENT_RANK: Partial<Record<OrderStatus, number>> = {
  CONFIRMED: 1,
  PROCESSING: 2,
  SHIPPED: 3,
  DELIVERED: 4,
};

/** Thrown for an order whose saga has not confirmed it yet: retried, then dead-lettered for replay. */
export class OrderNotConfirmedYetError extends Error {
  constructor(orderId: string) {
    super(`order ${orderId} is not confirmed yet; the carrier event waits`);
    this.name = 'OrderNotConfirmedYetError';
  }
}

/** What the signalling consumers (this one and restock-signals.ts) work with. */
export interface SignalDeps {
  ordersDb: OrdersDb;
  temporal: Client;
  logger: Logger;
}

/**
 * The orders database and Temporal client of the signalling consumers; consumers/registry.ts makes
 * one set for both. The Temporal connection is lazy, so the process starts while Temporal is
 * still down.
 */
export function signalDeps(context: ConsumerContext): SignalDeps {
  return {
    ordersDb: createOrdersDb(context.config.ORDERS_DATABASE_URL, 4),
    temporal: createTemporalClient(context.config.TEMPORAL_ADDRESS, context.config.TEMPORAL_NAMESPACE),
    logger: context.logger,
  };
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
export function workflowSignalsConsumer(deps: SignalDeps): ConsumerDefinition {
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
      const parsed = shipmentEventPayloadSchema.safeParse(event.payload);
      if (!parsed.success) {
        throw new PermanentError(
          `shipment event ${event.id} has an invalid payload: ${parsed.error.message}`,
        );
      }
      const report = parsed.data;
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

      const current = FULFILMENT_RANK[order.status];
      const target = FULFILMENT_RANK[report.status]!;
      const statuses: StatusChangeRequest['newStatus'][] = [];
      if (order.status === 'CANCELLED') {
        logger.warn(log, 'carrier reported a cancelled order; nothing to signal');
      } else if (current !== undefined && current >= target) {
        logger.info(log, 'order already at or past the reported status; nothing to signal');
      } else {
        if (report.status === 'DELIVERED' && current !== undefined && current < FULFILMENT_RANK.SHIPPED!) {
          statuses.push('SHIPPED');
        }
        statuses.push(report.status);
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
