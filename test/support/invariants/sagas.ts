import { WorkflowNotFoundError } from '@temporalio/client';
import { orderWorkflowId, sagaStateQuery, type SagaResult } from '../../../workflows/contract';
import { violation, type InvariantClients, type Violation } from './scope';

export interface RunOrder {
  id: string;
  status: string;
  allowBackorder: boolean;
  version: number;
}

/** Awaiting shipment: a confirmed saga waits, by design, for the carrier or an operator. */
const AWAITING_SHIPMENT = new Set(['CONFIRMED', 'PROCESSING', 'SHIPPED']);
const FINAL = new Set(['DELIVERED', 'CANCELLED']);

/**
 * An activity retried this often has been failing for minutes (database steps back off up to a
 * minute): with every dependency back, that saga is stuck, not recovering.
 */
const STUCK_ATTEMPTS = 8;

/**
 * Every order is final or correctly waiting, its saga agrees on the status, and no saga is stuck
 * with a pending activity past its retry window.
 */
export async function checkSagas(
  { temporal }: InvariantClients,
  orders: readonly RunOrder[],
): Promise<Violation[]> {
  const found: Violation[] = [];
  await Promise.all(
    orders.map(async (order) => {
      const handle = temporal.workflow.getHandle(orderWorkflowId(order.id));
      let description;
      try {
        description = await handle.describe();
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) {
          found.push(violation('order has a saga', { order: order.id, status: order.status }));
          return;
        }
        throw error;
      }
      const running = description.status.name === 'RUNNING';
      let sagaStatus: string;
      let step: string | undefined;
      if (running) {
        const state = await handle.query(sagaStateQuery);
        sagaStatus = state.status;
        step = state.step;
      } else if (description.status.name === 'COMPLETED') {
        sagaStatus = ((await handle.result()) as SagaResult).status;
      } else {
        found.push(violation('saga ends cleanly', { order: order.id, saga: description.status.name }));
        return;
      }
      if (sagaStatus !== order.status) {
        found.push(
          violation('row status equals saga status', { order: order.id, row: order.status, sagaStatus }),
        );
      }
      const waitingCorrectly =
        (running && AWAITING_SHIPMENT.has(order.status)) ||
        (running && order.status === 'PENDING' && order.allowBackorder && step === 'AWAITING_RESTOCK');
      const finished = !running && FINAL.has(order.status);
      if (!waitingCorrectly && !finished) {
        found.push(
          violation('final or correctly waiting', { order: order.id, status: order.status, running, step }),
        );
      }
      for (const activity of description.raw.pendingActivities ?? []) {
        if ((activity.attempt ?? 0) >= STUCK_ATTEMPTS) {
          found.push(
            violation('no saga stuck in an activity', {
              order: order.id,
              activity: activity.activityType?.name,
              attempt: activity.attempt,
              lastFailure: activity.lastFailure?.message,
            }),
          );
        }
      }
    }),
  );
  return found;
}

export { FINAL as FINAL_STATUSES };
