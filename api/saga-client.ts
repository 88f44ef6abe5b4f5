import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import {
  cancelUpdate,
  CustomerIdKey,
  ORDERS_TASK_QUEUE,
  orderWorkflowId,
  OrderIdKey,
  OrderStatusKey,
  sagaStateQuery,
  statusUpdate,
  type CancelRequest,
  type OrderSagaInput,
  type OrderStatus,
  type SagaState,
  type StatusChangeRequest,
} from '../workflows/contract';
import { orderSaga } from '../workflows/order-saga';
import { ApiError, unavailable } from './errors';

/** How long a request waits on Temporal before answering 503. */
const TEMPORAL_DEADLINE_MS = 5000;

export class SagaRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SagaRefusedError';
  }
}

export class SagaNotRunningError extends Error {
  constructor(orderId: string) {
    super(`no running saga for order ${orderId}`);
    this.name = 'SagaNotRunningError';
  }
}

/** Everything the API asks of an order's workflow, with Temporal's errors turned into ours. */
export class SagaClient {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string = ORDERS_TASK_QUEUE,
  ) {}

  async start(input: OrderSagaInput): Promise<void> {
    await this.call(async () => {
      try {
        await this.temporal.workflow.start(orderSaga, {
          workflowId: orderWorkflowId(input.orderId),
          taskQueue: this.taskQueue,
          args: [input],
          typedSearchAttributes: [
            { key: OrderIdKey, value: input.orderId },
            { key: CustomerIdKey, value: input.customerId },
            { key: OrderStatusKey, value: 'PENDING' },
          ],
        });
      } catch (error) {
        // A retried start inside a retried transaction: the saga is already there, which is the goal.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    });
  }

  changeStatus(orderId: string, request: StatusChangeRequest): Promise<OrderStatus> {
    return this.call(() =>
      this.temporal.workflow
        .getHandle(orderWorkflowId(orderId))
        .executeUpdate(statusUpdate, { args: [request] }),
    );
  }

  cancel(orderId: string, request: CancelRequest): Promise<SagaState> {
    return this.call(() =>
      this.temporal.workflow
        .getHandle(orderWorkflowId(orderId))
        .executeUpdate(cancelUpdate, { args: [request] }),
    );
  }

  state(orderId: string): Promise<SagaState> {
    return this.call(() => this.temporal.workflow.getHandle(orderWorkflowId(orderId)).query(sagaStateQuery));
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, work);
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause instanceof Error ? error.cause.message : error.message;
        throw new SagaRefusedError(cause);
      }
      if (error instanceof WorkflowNotFoundError)
        throw new SagaNotRunningError(error.workflowId ?? 'unknown');
      if (error instanceof ApiError || error instanceof SagaRefusedError) throw error;
      if (isCompletedWorkflowError(error)) throw new SagaNotRunningError('unknown');
      throw unavailable(
        `workflow service unavailable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

function isCompletedWorkflowError(error: unknown): boolean {
  return (
    error instanceof Error && /already completed|workflow execution already finished/i.test(error.message)
  );
}
