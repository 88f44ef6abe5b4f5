// Over 300 lines on purpose: the saga reads top to bottom as one function whose steps share one state.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import {
  cancelSignal,
  cancelUpdate,
  FailureType,
  canFulfil,
  isCancellable,
  orderPlacedUpdate,
  OrderStatusKey,
  restockSignal,
  sagaStateQuery,
  statusSignal,
  statusUpdate,
  type CancellationReason,
  type CancelRequest,
  type OrderSagaInput,
  type OrderStatus,
  type PlacedOrder,
  type SagaResult,
  type SagaState,
  type SagaStep,
  type StatusChangeRequest,
  type TimelineEntry,
} from './contract';
import { parseDuration } from './duration';
import {
  authorizePayment,
  capturePayment,
  captureLocally,
  localDatabaseSteps,
  placeOrder,
  queuedDatabaseSteps,
  recordFulfilmentLocally,
  recordFulfilmentQueued,
  releaseInventory,
  voidOrRefundPayment,
} from './saga-activities';

/** v2: a failed SLA alert is noted in the timeline instead of cancelling the order. */
export const PATCH_SLA_ALERT_NOT_FATAL = 'sla-alert-not-fatal';

/** v2: cancelling the workflow execution itself compensates like a cancel request. */
export const PATCH_COMPENSATE_ON_EXECUTION_CANCEL = 'compensate-on-execution-cancel';

/**
 * v3: the saga writes its own order (its first step, answered to the API through `orderPlaced`)
 * and runs its database steps and the capture as local activities. Sagas without a draft in their
 * input were started by the API after it wrote the order (v1, v2), and replay the queued steps.
 */
export const PATCH_LOCAL_STEPS = 'local-steps';

/**
 * What an activity failed with. A queued activity's failure arrives wrapped in an ActivityFailure;
 * a local activity's arrives as the failure itself.
 */
const causeOf = (error: unknown): unknown => (error instanceof ActivityFailure ? error.cause : error);

/**
 * v4: once confirmed, recording the order's fulfilment retries until the database is back instead
 * of giving up after five minutes and refunding an order that is already on its way.
 */
export const PATCH_FULFILMENT_NEVER_GIVES_UP = 'fulfilment-never-gives-up';

const failureType = (error: unknown): string | undefined => {
  const cause = causeOf(error);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
};

const timedOut = (error: unknown): boolean =>
  causeOf(error) instanceof TimeoutFailure ||
  failureType(error) === FailureType.PaymentProviderTimeout ||
  failureType(error) === FailureType.PaymentProviderUnavailable;

/** The order this saga was started for was carried by an earlier run: this one ends at once. */
class OrderAlreadyCarried extends Error {
  constructor(readonly status: OrderStatus) {
    super(`order already ${status}`);
  }
}

/** The saga could not write its order: it ends at once, with nothing to compensate. */
class OrderNotPlaced extends Error {
  constructor(readonly failure: ApplicationFailure) {
    super(failure.message);
  }
}

const durationMsOf = (text: string): number => {
  const ms = parseDuration(text);
  if (ms === undefined) throw ApplicationFailure.nonRetryable(`bad duration "${text}"`, 'InvalidDuration');
  return ms;
};

class SagaCancelled extends Error {
  constructor(
    readonly reason: CancellationReason,
    readonly detail?: string,
  ) {
    super(`order cancelled: ${reason}`);
  }
}

/**
 * One order from submission to delivery. Forward steps push their compensation before they run
 * (a step whose answer was lost may still have taken effect; compensations are idempotent no-ops
 * otherwise), and a failure or a cancellation runs them in reverse.
 */
export async function orderSaga(input: OrderSagaInput): Promise<SagaResult> {
  const trace = { traceparent: input.traceparent };
  const state: SagaState = {
    orderId: input.orderId,
    status: 'PENDING',
    step: input.draft ? 'PLACING_ORDER' : 'RESERVING_INVENTORY',
    timeline: [],
    compensations: [],
    slaBreached: false,
  };
  /** The status the saga has promised (accepted but maybe not yet written). */
  let promised: OrderStatus = 'PENDING';
  const pendingStatuses: StatusChangeRequest[] = [];
  let cancelRequest: CancelRequest | undefined;
  const restockedProducts = new Set<string>();
  const undo: { name: string; run: () => Promise<unknown> }[] = [];
  let placement: { placed: PlacedOrder } | { failed: ApplicationFailure } | undefined;
  const localSteps = input.draft !== undefined && patched(PATCH_LOCAL_STEPS);
  const databaseSteps = localSteps ? localDatabaseSteps : queuedDatabaseSteps;
  const capture = localSteps ? captureLocally : capturePayment;
  /** Status writes that wait out any database outage (no schedule-to-close). */
  const recordUntilDone = localSteps ? recordFulfilmentLocally : recordFulfilmentQueued;

  const note = (step: string, outcome: TimelineEntry['outcome'], detail?: string) => {
    state.timeline.push({ step, outcome, at: new Date().toISOString(), ...(detail ? { detail } : {}) });
  };
  const enter = (step: SagaStep) => {
    state.step = step;
    note(step, 'STARTED');
  };
  let recordOrderStatus = databaseSteps.recordOrderStatus;
  const record = async (
    status: OrderStatus,
    extra: { reason?: CancellationReason; detail?: string; source?: string } = {},
  ) => {
    await recordOrderStatus({ orderId: input.orderId, status, ...extra, ...trace });
    state.status = status;
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
  };
  const checkCancelled = () => {
    if (cancelRequest) throw new SagaCancelled(cancelRequest.reason, cancelRequest.detail);
  };

  /** Clients move an order along fulfilment only once the saga has confirmed it. */
  const checkTransition = ({ newStatus }: StatusChangeRequest) => {
    if (!canFulfil(promised, newStatus)) throw new Error(`illegal transition ${promised} -> ${newStatus}`);
  };
  const acceptStatus = (request: StatusChangeRequest) => {
    checkTransition(request);
    promised = request.newStatus;
    pendingStatuses.push(request);
  };
  const acceptCancel = (request: CancelRequest) => {
    if (promised === 'CANCELLED' || cancelRequest) return;
    if (!isCancellable(promised)) throw new Error(`order is ${promised} and can no longer be cancelled`);
    cancelRequest = request;
    note('CANCEL_REQUESTED', 'SIGNALLED', request.reason);
  };

  setHandler(sagaStateQuery, () => state);
  setHandler(orderPlacedUpdate, async ({ requestId }) => {
    if (!input.draft) {
      throw ApplicationFailure.nonRetryable('this saga did not write its order', FailureType.OrderNotPlaced);
    }
    await condition(() => placement !== undefined);
    if (placement && 'failed' in placement) throw placement.failed;
    const { placed } = placement as { placed: PlacedOrder };
    return { ...placed, replayed: requestId !== input.draft.requestId || placed.written === false };
  });
  setHandler(statusSignal, (request) => {
    try {
      acceptStatus(request);
    } catch (error) {
      log.warn('status signal ignored', { orderId: input.orderId, error: (error as Error).message });
    }
  });
  setHandler(
    statusUpdate,
    async (request) => {
      acceptStatus(request);
      await condition(() => state.status === request.newStatus || state.status === 'CANCELLED');
      return state.status;
    },
    { validator: checkTransition },
  );
  setHandler(cancelSignal, (request) => {
    try {
      acceptCancel(request);
    } catch (error) {
      log.warn('cancel signal refused', { orderId: input.orderId, error: (error as Error).message });
    }
  });
  setHandler(
    cancelUpdate,
    (request) => {
      acceptCancel(request);
      return state;
    },
    {
      validator: (_request: CancelRequest) => {
        if (promised !== 'CANCELLED' && !cancelRequest && !isCancellable(promised)) {
          throw new Error(`order is ${promised} and can no longer be cancelled`);
        }
      },
    },
  );
  setHandler(restockSignal, ({ productId }) => {
    restockedProducts.add(productId);
  });

  const place = async (draft: NonNullable<OrderSagaInput['draft']>) => {
    try {
      const placed = await placeOrder({
        orderId: input.orderId,
        customerId: input.customerId,
        totalAmount: input.totalAmount,
        currency: input.currency,
        allowBackorder: input.allowBackorder ?? false,
        draft,
        ...trace,
      });
      placement = { placed };
      note('PLACING_ORDER', 'COMPLETED');
      // An earlier run (one that failed) wrote this order and carried it on: nothing is left to do.
      if (placed.written === false && placed.order.status !== 'PENDING') {
        throw new OrderAlreadyCarried(placed.order.status);
      }
    } catch (error) {
      if (error instanceof OrderAlreadyCarried) throw error;
      const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
      const message = cause instanceof Error ? cause.message : String(cause);
      const failed = ApplicationFailure.nonRetryable(
        `order ${input.orderId} could not be written: ${message}`,
        failureType(error) === FailureType.IdempotencyKeyTaken
          ? FailureType.IdempotencyKeyTaken
          : FailureType.OrderNotPlaced,
      );
      placement = { failed };
      note('PLACING_ORDER', 'FAILED', message);
      // The API is waiting on `orderPlaced`: it must hear why before the saga ends.
      await condition(allHandlersFinished);
      // An attempt may have committed the order and still been reported as failed (its answer was
      // lost): such a row must not stay PENDING with nothing to carry it. Waits for the database.
      await recordUntilDone({
        orderId: input.orderId,
        status: 'CANCELLED',
        reason: 'SYSTEM_ERROR',
        detail: 'the order could not be placed',
        ...trace,
      }).catch((cleanup: unknown) => {
        if (failureType(cleanup) !== FailureType.OrderNotFound) throw cleanup;
      });
      throw new OrderNotPlaced(failed);
    }
  };

  const reserve = async () => {
    enter('RESERVING_INVENTORY');
    undo.unshift({
      name: 'releaseInventory',
      run: () => releaseInventory({ orderId: input.orderId, ...trace }),
    });
    for (;;) {
      // Cleared before each attempt, not after a failure: a restock signalled while the failing
      // attempt was in flight must still wake the backorder wait.
      restockedProducts.clear();
      try {
        await databaseSteps.reserveInventory({
          orderId: input.orderId,
          items: input.items,
          // v3 sagas wrote the order themselves; earlier inputs stay as they were recorded.
          ...(input.draft ? { orderWritten: true } : {}),
          ...trace,
        });
        note('RESERVING_INVENTORY', 'COMPLETED');
        return;
      } catch (error) {
        if (failureType(error) !== FailureType.InsufficientStock) throw error;
        note('RESERVING_INVENTORY', 'FAILED', 'insufficient stock');
        if (!input.allowBackorder) throw new SagaCancelled('OUT_OF_STOCK');
        await awaitRestock();
      }
    }
  };

  let backorderDeadline: number | undefined;
  const awaitRestock = async () => {
    enter('AWAITING_RESTOCK');
    backorderDeadline ??= Date.now() + durationMsOf(input.backorderTimeout ?? '7d');
    const wanted = new Set(input.items.map((i) => i.productId));
    const remaining = Math.max(0, backorderDeadline - Date.now());
    const restocked = await condition(
      () => cancelRequest !== undefined || [...restockedProducts].some((p) => wanted.has(p)),
      remaining,
    );
    checkCancelled();
    if (!restocked) throw new SagaCancelled('BACKORDER_EXPIRED');
    note('AWAITING_RESTOCK', 'SIGNALLED', [...restockedProducts].join(','));
  };

  const authorize = async () => {
    enter('AUTHORIZING_PAYMENT');
    const idempotencyKey = uuid4();
    state.paymentIdempotencyKey = idempotencyKey;
    const ref = { orderId: input.orderId, idempotencyKey, ...trace };
    undo.unshift({ name: 'voidOrRefundPayment', run: () => voidOrRefundPayment(ref) });
    try {
      await authorizePayment({
        ...ref,
        amount: input.totalAmount,
        currency: input.currency,
        paymentMethod: input.paymentMethod,
      });
    } catch (error) {
      if (failureType(error) === FailureType.PaymentDeclined) throw new SagaCancelled('PAYMENT_DECLINED');
      if (timedOut(error)) throw new SagaCancelled('PAYMENT_TIMEOUT');
      throw error;
    }
    note('AUTHORIZING_PAYMENT', 'COMPLETED');
    return ref;
  };

  const confirm = async (paymentRef: { orderId: string; idempotencyKey: string }) => {
    enter('CONFIRMING');
    await capture({ ...paymentRef, ...trace });
    await databaseSteps.commitInventory({ orderId: input.orderId, ...trace });
    await record('CONFIRMED');
    promised = promised === 'PENDING' ? 'CONFIRMED' : promised;
    note('CONFIRMING', 'COMPLETED');
  };

  const compensate = async (reason: CancellationReason, detail?: string) => {
    enter('COMPENSATING');
    state.cancellationReason = reason;
    promised = 'CANCELLED';
    for (const step of undo) {
      try {
        await step.run();
        state.compensations.push({ name: step.name, at: new Date().toISOString(), outcome: 'COMPLETED' });
      } catch (error) {
        // Compensations retry without limit, so this is only reached if the worker gives up
        // (e.g. a non-retryable bug); keep going so the other compensations still run.
        const message = error instanceof Error ? error.message : String(error);
        state.compensations.push({
          name: step.name,
          at: new Date().toISOString(),
          outcome: 'FAILED',
          error: message,
        });
        log.error('compensation failed', { orderId: input.orderId, compensation: step.name, error: message });
      }
    }
    await record('CANCELLED', { reason, ...(detail ? { detail } : {}) });
    state.step = 'CANCELLED';
    note('CANCELLED', 'COMPLETED', reason);
    return { orderId: input.orderId, status: 'CANCELLED' as const, cancellationReason: reason };
  };

  try {
    if (input.draft) await place(input.draft);
    await reserve();
    checkCancelled();
    const paymentRef = await authorize();
    checkCancelled();
    await confirm(paymentRef);
    checkCancelled();
    await followFulfilment();
    state.step = 'COMPLETED';
    note('COMPLETED', 'COMPLETED');
    return { orderId: input.orderId, status: state.status };
  } catch (error) {
    if (error instanceof OrderNotPlaced) throw error.failure;
    if (error instanceof OrderAlreadyCarried) return { orderId: input.orderId, status: error.status };
    if (error instanceof SagaCancelled) return compensate(error.reason, error.detail);
    if (isCancellation(error) && patched(PATCH_COMPENSATE_ON_EXECUTION_CANCEL)) {
      // `temporal workflow cancel`: the compensations must run to the end despite the cancellation.
      return CancellationScope.nonCancellable(() =>
        compensate('OPERATOR_REQUEST', 'workflow execution cancelled'),
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    log.error('saga step failed; compensating', { orderId: input.orderId, error: message });
    return compensate('SYSTEM_ERROR', message);
  }

  async function followFulfilment(): Promise<void> {
    enter('AWAITING_FULFILMENT');
    if (patched(PATCH_FULFILMENT_NEVER_GIVES_UP)) recordOrderStatus = recordUntilDone;
    const slaMs = durationMsOf(input.shipmentSla ?? '48h');
    const slaDeadline = Date.now() + slaMs;
    while (state.status !== 'DELIVERED') {
      const shipped = state.status === 'SHIPPED';
      const watchSla = !shipped && !state.slaBreached;
      const wake = () => pendingStatuses.length > 0 || cancelRequest !== undefined;
      const woke = watchSla
        ? await condition(wake, Math.max(0, slaDeadline - Date.now()))
        : (await condition(wake), true);
      checkCancelled();
      if (woke === false) {
        state.slaBreached = true;
        note('SHIPMENT_SLA', 'ALERT', `not shipped within ${input.shipmentSla ?? '48h'}`);
        const alert = databaseSteps.raiseShipmentSlaAlert({
          orderId: input.orderId,
          sla: input.shipmentSla ?? '48h',
          ...trace,
        });
        if (patched(PATCH_SLA_ALERT_NOT_FATAL)) {
          // A paid order must not be refunded because its late-shipment alert could not be written.
          await alert.catch((error: unknown) => {
            note('SHIPMENT_SLA', 'FAILED', error instanceof Error ? error.message : String(error));
          });
        } else {
          await alert;
        }
        continue;
      }
      const next = pendingStatuses.shift();
      if (!next) continue;
      await record(next.newStatus, { source: next.source ?? 'api' });
      note(next.newStatus, 'SIGNALLED', next.source);
    }
  }
}
