/**
 * The order saga when a step fails: business refusals (no stock, card declined), a payment provider
 * that keeps timing out, infrastructure failures that outlast the retry policy, compensations that
 * fail before succeeding, and the one case where the workflow itself fails.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { FailureType, statusSignal, type OrderSagaInput } from '../../workflows/contract';
import { FakeOrderSystem, failTimes } from './support/fake-order-activities';
import {
  PRODUCT_A,
  cancelledResult,
  compensationsOf,
  defaultStock,
  distinctRuns,
  expectNothingHeld,
  sagaInput,
  sagaState,
  timelineOf,
  useSagaEnvironment,
  waitForState,
  withSaga,
} from './support/saga-harness';

const context = useSagaEnvironment();

const declined = () =>
  ApplicationFailure.nonRetryable('card declined: do not honour', FailureType.PaymentDeclined);
const providerTimeout = () =>
  ApplicationFailure.retryable('payment provider did not answer in time', FailureType.PaymentProviderTimeout);

/** A v3 input: the saga writes the order itself and runs its database steps locally. */
const withDraft = (input: OrderSagaInput): OrderSagaInput => ({
  ...input,
  draft: {
    lines: input.items.map((line) => ({
      ...line,
      productName: line.productId,
      unitPrice: '1.00',
      lineTotal: '1.00',
    })),
    address: { streetAddress: '1 Fault Lane', city: 'Retry', postalCode: '1', country: 'NL' },
    requestId: 'request-1',
  },
});

describe('order saga: business failures', () => {
  it('cancels with OUT_OF_STOCK when the reservation is refused, releasing and never charging', async () => {
    const stock = { ...defaultStock(), [PRODUCT_A]: 1 }; // the order wants 2
    const fake = new FakeOrderSystem(stock);
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'OUT_OF_STOCK'));

      // Insufficient stock is non-retryable: one attempt. The release was pushed before the reservation
      // ran (a lost answer may still have reserved), so it runs; the payment compensation was never pushed.
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expect(fake.callCount('authorizePayment')).toBe(0);
      expect(fake.statuses).toEqual([
        {
          orderId: input.orderId,
          status: 'CANCELLED',
          reason: 'OUT_OF_STOCK',
          traceparent: input.traceparent,
        },
      ]);

      const state = await sagaState(handle);
      expect(state).toMatchObject({
        status: 'CANCELLED',
        step: 'CANCELLED',
        cancellationReason: 'OUT_OF_STOCK',
        compensations: [{ name: 'releaseInventory', outcome: 'COMPLETED' }],
      });
      expect(state.paymentIdempotencyKey).toBeUndefined();
      expect(timelineOf(state)).toEqual([
        'RESERVING_INVENTORY STARTED',
        'RESERVING_INVENTORY FAILED insufficient stock',
        'COMPENSATING STARTED',
        'CANCELLED COMPLETED OUT_OF_STOCK',
      ]);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('cancels with PAYMENT_DECLINED, voiding then releasing (reverse order), capturing nothing', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock).on('authorizePayment', () => {
      throw declined();
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'PAYMENT_DECLINED'));

      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'authorizePayment',
        'voidOrRefundPayment',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expect(fake.callCount('capturePayment')).toBe(0);
      expect(fake.callCount('commitInventory')).toBe(0);
      expect(fake.paymentsFor(input.orderId)).toEqual([]);

      const state = await sagaState(handle);
      expect(state).toMatchObject({
        status: 'CANCELLED',
        step: 'CANCELLED',
        cancellationReason: 'PAYMENT_DECLINED',
      });
      expect(compensationsOf(state)).toEqual(['voidOrRefundPayment COMPLETED', 'releaseInventory COMPLETED']);
      expect(fake.statuses.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
      expectNothingHeld(fake, input.orderId, stock);
    });
  });
});

describe('order saga: payment provider timeouts', () => {
  it('cancels with PAYMENT_TIMEOUT when the provider keeps timing out, voiding and releasing', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock).on('authorizePayment', () => {
      throw providerTimeout();
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'PAYMENT_TIMEOUT'));
      expect(distinctRuns(fake.callLabels)).toEqual([
        'reserveInventory',
        'authorizePayment',
        'voidOrRefundPayment',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expect(fake.callCount('capturePayment')).toBe(0);
      const state = await sagaState(handle);
      expect(state.compensations.map((c) => c.name)).toEqual(['voidOrRefundPayment', 'releaseInventory']);
      expect(fake.statuses.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT' });
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  // Regression: PaymentProviderTimeout used to be listed in nonRetryableErrorTypes, so one timeout ended the step.
  // Then four attempts (about 7 s) ended it, so a provider blip of a few seconds cancelled orders.
  it('retries a timing-out provider with the same key for the whole step budget before giving up', async () => {
    const fake = new FakeOrderSystem(defaultStock()).on('authorizePayment', () => {
      throw providerTimeout();
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toMatchObject({ cancellationReason: 'PAYMENT_TIMEOUT' });
      const attempts = fake.inputsOf('authorizePayment');
      // No attempt cap: backoff 1, 2, 4, 8, then every 10 s until scheduleToClose (5 min).
      expect(attempts.length).toBeGreaterThan(20);
      expect(new Set(attempts.map((a) => a.idempotencyKey)).size).toBe(1);
    });
  });

  it('cancels with PAYMENT_TIMEOUT at once when the activity says the provider is past its budget', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock).on('authorizePayment', () => {
      throw ApplicationFailure.nonRetryable(
        'payment provider unavailable for 46 s',
        FailureType.PaymentProviderUnavailable,
      );
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'PAYMENT_TIMEOUT'));
      expect(fake.callCount('authorizePayment')).toBe(1);
      expect(fake.callCount('capturePayment')).toBe(0);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  // Regression: PaymentProviderTimeout used to be listed in nonRetryableErrorTypes, so one timeout ended the step.
  it('confirms the order when a provider timeout is followed by a successful retry', async () => {
    const fake = new FakeOrderSystem(defaultStock()).on('authorizePayment', (_input, call) => {
      if (call === 1) throw providerTimeout();
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await context().env.sleep('1m'); // lets the server skip the retry backoff
      const settled = await waitForState(handle, (s) => s.status !== 'PENDING');
      expect(settled).toMatchObject({ status: 'CONFIRMED', step: 'AWAITING_FULFILMENT' });
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'authorizePayment',
        'authorizePayment',
        'capturePayment',
        'commitInventory',
        'recordOrderStatus(CONFIRMED)',
      ]);
    });
  });
});

describe('order saga: infrastructure failures', () => {
  it('retries transient failures of a forward step and still confirms', async () => {
    const fake = new FakeOrderSystem(defaultStock())
      .on('reserveInventory', failTimes(2, 'inventory db connection reset'))
      .on('commitInventory', failTimes(1, 'inventory db deadlock'));
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await context().env.sleep('1m'); // skip the backoffs (500ms, 1s)
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'reserveInventory',
        'reserveInventory',
        'authorizePayment',
        'capturePayment',
        'commitInventory',
        'commitInventory',
        'recordOrderStatus(CONFIRMED)',
      ]);
      // Retries were idempotent: one reservation per line, stock counted once.
      expect(fake.reservations.get(input.orderId)).toHaveLength(2);
      expect(fake.level(PRODUCT_A)).toEqual({ available: 8, reserved: 0, sold: 2 });
    });
  });

  // Found by the fault suite: capture had the provider's four attempts, so a database outage of a
  // few seconds while the capture was recorded refunded a paid order.
  it.each([
    ['queued', (input: OrderSagaInput) => input],
    ['local', withDraft],
  ])(
    'retries a capture whose record keeps failing past four attempts and confirms (%s)',
    async (_, shape) => {
      const fake = new FakeOrderSystem(defaultStock()).on(
        'capturePayment',
        failTimes(7, "Can't reach database server at 127.0.0.1:5432"),
      );
      const input = shape(sagaInput());

      await withSaga(context(), fake, input, async (handle) => {
        await context().env.sleep('3m'); // skip the backoffs (1 s doubling to 10 s)
        await waitForState(handle, (s) => s.status === 'CONFIRMED', 60_000);
        expect(fake.callCount('capturePayment')).toBe(8);
        expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'CAPTURED' })]);
        expect(fake.callCount('voidOrRefundPayment')).toBe(0);
      });
    },
    120_000,
  );

  it('compensates with SYSTEM_ERROR when a forward step exhausts its retries (commit after capture)', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock).on('commitInventory', (_input, call) => {
      throw new Error(`inventory database unavailable (attempt ${call})`);
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'SYSTEM_ERROR'));

      // Database steps retry with backoff (capped at 10 s) until the 5-minute schedule-to-close
      // bound, then the saga gives up and unwinds what it did.
      expect(fake.callCount('commitInventory')).toBeGreaterThan(20);
      expect(distinctRuns(fake.callLabels)).toEqual([
        'reserveInventory',
        'authorizePayment',
        'capturePayment',
        'commitInventory',
        'voidOrRefundPayment',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expect(fake.callCount('recordOrderStatus')).toBe(1); // never CONFIRMED
      // The money had been captured, so the compensation refunded it.
      expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'REFUNDED' })]);
      expect(fake.statuses).toEqual([
        expect.objectContaining({
          status: 'CANCELLED',
          reason: 'SYSTEM_ERROR',
          detail: expect.any(String) as unknown,
        }),
      ]);

      const state = await sagaState(handle);
      expect(state).toMatchObject({
        status: 'CANCELLED',
        step: 'CANCELLED',
        cancellationReason: 'SYSTEM_ERROR',
      });
      expect(compensationsOf(state)).toEqual(['voidOrRefundPayment COMPLETED', 'releaseInventory COMPLETED']);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });
});

describe('order saga: infrastructure failures after confirmation', () => {
  it.each([
    ['queued steps (v2 input)', (input: OrderSagaInput) => input],
    ['local steps (v3 input)', withDraft],
  ])(
    'never refunds a shipped order while DELIVERED cannot be written for an hour (%s)',
    async (_label, shape) => {
      let deliveredAttempts = 0;
      const fake = new FakeOrderSystem(defaultStock()).on('recordOrderStatus', (change) => {
        if (change.status === 'DELIVERED' && ++deliveredAttempts <= 60) {
          throw new Error(`orders database unavailable (attempt ${deliveredAttempts})`);
        }
      });
      const input = shape(sagaInput());

      await withSaga(context(), fake, input, async (handle) => {
        await waitForState(handle, (s) => s.status === 'CONFIRMED');
        await handle.signal(statusSignal, { newStatus: 'SHIPPED', source: 'carrier' });
        await waitForState(handle, (s) => s.status === 'SHIPPED');
        await handle.signal(statusSignal, { newStatus: 'DELIVERED', source: 'carrier' });
        // 60 failures at a backoff capped at one minute: about 55 minutes, far past the old 5-minute budget.
        await context().env.sleep('2h');
        await expect(handle.result()).resolves.toEqual({ orderId: input.orderId, status: 'DELIVERED' });
        expect(deliveredAttempts).toBe(61);
        expect(fake.callCount('voidOrRefundPayment')).toBe(0);
        expect(fake.callCount('releaseInventory')).toBe(0);
        expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'CAPTURED' })]);
        expect(fake.statuses.map((s) => s.status)).toEqual(['CONFIRMED', 'SHIPPED', 'DELIVERED']);
      });
    },
    120_000,
  );
});

describe('order saga: placing its own order (v3)', () => {
  it('when placing fails it cancels whatever row an attempt may have left, holds and charges nothing, and fails', async () => {
    // A refusal ends the placement at once; a database outage ends it the same way after a minute.
    const fake = new FakeOrderSystem(defaultStock()).on('placeOrder', () => {
      throw ApplicationFailure.nonRetryable(
        'the key belongs to an earlier order',
        FailureType.IdempotencyKeyTaken,
      );
    });
    const input = withDraft(sagaInput());

    await withSaga(context(), fake, input, async (handle) => {
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe(
        FailureType.IdempotencyKeyTaken,
      );
      expect(fake.callLabels).toEqual(['placeOrder', 'recordOrderStatus(CANCELLED)']);
      expect(fake.statuses).toEqual([
        expect.objectContaining({ status: 'CANCELLED', reason: 'SYSTEM_ERROR' }),
      ]);
    });
  });
});

describe('order saga: compensation failures', () => {
  it('keeps retrying a failing compensation until it succeeds, and records it as COMPLETED', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock)
      .on('authorizePayment', () => {
        throw declined();
      })
      .on('releaseInventory', failTimes(3, 'inventory db connection reset'));
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'PAYMENT_DECLINED'));
      expect(fake.callCount('releaseInventory')).toBe(4);
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'authorizePayment',
        'voidOrRefundPayment',
        'releaseInventory',
        'releaseInventory',
        'releaseInventory',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      const state = await sagaState(handle);
      expect(state.compensations).toEqual([
        expect.objectContaining({ name: 'voidOrRefundPayment', outcome: 'COMPLETED' }),
        expect.objectContaining({ name: 'releaseInventory', outcome: 'COMPLETED' }),
      ]);
      expect(state.compensations.every((c) => c.error === undefined)).toBe(true);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('records a compensation that fails for good as FAILED and still runs the others', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock)
      .on('authorizePayment', () => {
        throw declined();
      })
      .on('voidOrRefundPayment', () => {
        throw ApplicationFailure.nonRetryable('payment provider rejected the void', 'VoidRejected');
      });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toMatchObject({
        status: 'CANCELLED',
        cancellationReason: 'PAYMENT_DECLINED',
      });
      const state = await sagaState(handle);
      expect(state.compensations).toEqual([
        expect.objectContaining({
          name: 'voidOrRefundPayment',
          outcome: 'FAILED',
          error: 'Activity task failed',
        }),
        expect.objectContaining({ name: 'releaseInventory', outcome: 'COMPLETED' }),
      ]);
      expect(fake.heldFor(input.orderId)).toEqual([]);
    });
  });
});

describe('order saga: workflow failure', () => {
  it('fails with the activity failure chain when even the CANCELLED status cannot be written', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock).on('recordOrderStatus', ({ orderId }) => {
      throw ApplicationFailure.nonRetryable(`order ${orderId} not found`, FailureType.OrderNotFound);
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      const error: unknown = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      // WorkflowFailedError -> ActivityFailure(recordOrderStatus) -> ApplicationFailure(OrderNotFound)
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const activityFailure = (error as WorkflowFailedError).cause;
      expect(activityFailure).toBeInstanceOf(ActivityFailure);
      expect(activityFailure).toMatchObject({ activityType: 'recordOrderStatus' });
      const applicationFailure = (activityFailure as ActivityFailure).cause;
      expect(applicationFailure).toBeInstanceOf(ApplicationFailure);
      expect(applicationFailure).toMatchObject({
        type: FailureType.OrderNotFound,
        nonRetryable: true,
        message: `order ${input.orderId} not found`,
      });

      // CONFIRMED could not be written (SYSTEM_ERROR), the saga unwound, then CANCELLED failed too.
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'authorizePayment',
        'capturePayment',
        'commitInventory',
        'recordOrderStatus(CONFIRMED)',
        'voidOrRefundPayment',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      // The compensations ran before the failure: nothing is left held or taken.
      expectNothingHeld(fake, input.orderId, stock);
      expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'REFUNDED' })]);
      const state = await sagaState(handle);
      expect(state).toMatchObject({ step: 'COMPENSATING', cancellationReason: 'SYSTEM_ERROR' });
      expect(compensationsOf(state)).toEqual(['voidOrRefundPayment COMPLETED', 'releaseInventory COMPLETED']);
    });
  });
});
