import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import {
  cancelUpdate,
  CustomerIdKey,
  FailureType,
  orderPlacedUpdate,
  ORDERS_TASK_QUEUE,
  orderWorkflowId,
  OrderIdKey,
  OrderStatusKey,
  sagaStateQuery,
  statusUpdate,
  type CancelRequest,
  type OrderSagaInput,
  type OrderStatus,
  type PlacementAnswer,
  type SagaState,
  type StatusChangeRequest,
} from '../workflows/contract';
import { orderSaga } from '../workflows/order-saga';
import { ApiError, unavailable } from './errors';

/** What the Web UI shows beside a saga: who ordered, for how much, how many units. */
export type OrderMemo = {
  customerId: string;
  total: string;
  itemCount: number;
};

/** Set on the start call, not by the workflow: the summary is fixed when the order is placed. */
export function orderMemo(input: OrderSagaInput): OrderMemo {
  return {
    customerId: input.customerId,
    total: `${input.totalAmount} ${input.currency}`,
    itemCount: input.items.reduce((units, line) => units + line.quantity, 0),
  };
}

/** How long a request waits on Temporal before answering 503 (placing an order has its own bound). */
const TEMPORAL_DEADLINE_MS = 5000;

export class SagaRefusedError extends Error {
  constructor(
    message: string,
    readonly failureType?: string,
  ) {
    super(message);
    this.name = 'SagaRefusedError';
  }
}

/** The saga did not write its order; `idempotencyKeyTaken` when an earlier order holds the key. */
export class OrderNotPlacedError extends Error {
  constructor(
    message: string,
    readonly idempotencyKeyTaken: boolean,
  ) {
    super(message);
    this.name = 'OrderNotPlacedError';
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
    private readonly placementDeadlineMs: number = TEMPORAL_DEADLINE_MS,
  ) {}

  /**
   * Starts the order's saga and waits until it has written the order (update-with-start: one call).
   * A retried request names the same workflow (its id comes from the Idempotency-Key) and gets the
   * order that saga wrote. Answers undefined when that saga has already finished: the caller reads
   * the order from the database then.
   */
  async place(
    input: OrderSagaInput & { draft: NonNullable<OrderSagaInput['draft']> },
    requestId: string,
  ): Promise<PlacementAnswer | undefined> {
    const start = new WithStartWorkflowOperation(orderSaga, {
      workflowId: orderWorkflowId(input.orderId),
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A saga that completed is never run again (a retry of a delivered order must not order it
      // twice); one that failed to place its order is, so that a retry with the key can still
      // succeed. A new run finds an order an earlier run wrote and does not carry it twice.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      memo: orderMemo(input),
      typedSearchAttributes: [
        { key: OrderIdKey, value: input.orderId },
        { key: CustomerIdKey, value: input.customerId },
        { key: OrderStatusKey, value: 'PENDING' },
      ],
    });
    try {
      return await this.call(
        () =>
          this.temporal.workflow.executeUpdateWithStart(orderPlacedUpdate, {
            args: [{ requestId }],
            startWorkflowOperation: start,
          }),
        this.placementDeadlineMs,
      );
    } catch (error) {
      if (error instanceof SagaRefusedError) {
        throw new OrderNotPlacedError(error.message, error.failureType === FailureType.IdempotencyKeyTaken);
      }
      if (error instanceof SagaNotRunningError) return undefined;
      throw error;
    }
  }

  /** Starts a saga without waiting for it (sagas whose order is already written, e.g. tests of v2). */
  async start(input: OrderSagaInput): Promise<void> {
    await this.call(async () => {
      try {
        await this.temporal.workflow.start(orderSaga, {
          workflowId: orderWorkflowId(input.orderId),
          taskQueue: this.taskQueue,
          args: [input],
          memo: orderMemo(input),
          typedSearchAttributes: [
            { key: OrderIdKey, value: input.orderId },
            { key: CustomerIdKey, value: input.customerId },
            { key: OrderStatusKey, value: 'PENDING' },
          ],
        });
      } catch (error) {
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

  private async call<T>(work: () => Promise<T>, deadlineMs = TEMPORAL_DEADLINE_MS): Promise<T> {
    try {
      return await this.temporal.withDeadline(Date.now() + deadlineMs, work);
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause instanceof Error ? error.cause.message : error.message;
        const type = error.cause instanceof ApplicationFailure ? (error.cause.type ?? undefined) : undefined;
        throw new SagaRefusedError(cause, type);
      }
      // A finished saga with this id (REJECT_DUPLICATE): the order it wrote is in the database.
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new SagaNotRunningError('finished');
      if (error instanceof WorkflowNotFoundError)
        throw new SagaNotRunningError(error.workflowId ?? 'unknown');
      if (error instanceof ApiError || error instanceof SagaRefusedError) throw error;
      if (isCompletedWorkflowError(error)) throw new SagaNotRunningError('unknown');
      throw unavailable('the workflow service did not answer in time; retry shortly', error);
    }
  }
}

function isCompletedWorkflowError(error: unknown): boolean {
  return (
    error instanceof Error && /already completed|workflow execution already finished/i.test(error.message)
  );
}
