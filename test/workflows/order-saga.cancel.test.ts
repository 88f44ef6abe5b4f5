/**
 * Cancelling an order at each point of the saga, by update and by signal: every accepted cancellation
 * must end CANCELLED with no stock held and no money taken; after shipment it must be refused.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { cancelSignal, type CancelRequest } from '../../workflows/contract';
import { FakeOrderSystem } from './support/fake-order-activities';
import {
  PRODUCT_A,
  PRODUCT_B,
  advance,
  cancelledResult,
  compensationsOf,
  defaultStock,
  distinctRuns,
  expectNothingHeld,
  refusal,
  requestCancel,
  sagaInput,
  sagaState,
  timelineOf,
  useSagaEnvironment,
  waitForState,
  withSaga,
} from './support/saga-harness';

const context = useSagaEnvironment();

const customerCancel: CancelRequest = { reason: 'CUSTOMER_REQUEST', detail: 'changed my mind' };

const callsAfterLast = (labels: string[], label: string): string[] =>
  labels.slice(labels.lastIndexOf(label) + 1);

describe('order saga: cancellation', () => {
  it('(a) while the reservation is in flight: compensates once it completes, releasing the stock', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock);
    const reserve = fake.holdFirstCall('reserveInventory');
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await reserve.started;
      const accepted = await requestCancel(handle, customerCancel);
      expect(accepted).toMatchObject({ status: 'PENDING', step: 'RESERVING_INVENTORY' });
      expect(timelineOf(accepted).at(-1)).toBe('CANCEL_REQUESTED SIGNALLED CUSTOMER_REQUEST');

      reserve.release();
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'CUSTOMER_REQUEST'));

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
          reason: 'CUSTOMER_REQUEST',
          detail: 'changed my mind',
          traceparent: input.traceparent,
        },
      ]);
      const state = await sagaState(handle);
      expect(state).toMatchObject({
        status: 'CANCELLED',
        step: 'CANCELLED',
        cancellationReason: 'CUSTOMER_REQUEST',
        compensations: [{ name: 'releaseInventory', outcome: 'COMPLETED' }],
      });
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('(b) while the authorization is in flight: voids, then releases', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock);
    const authorize = fake.holdFirstCall('authorizePayment');
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await authorize.started;
      expect(await requestCancel(handle, customerCancel)).toMatchObject({
        status: 'PENDING',
        step: 'AUTHORIZING_PAYMENT',
      });
      authorize.release();
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'CUSTOMER_REQUEST'));

      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'authorizePayment',
        'voidOrRefundPayment',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expect(fake.callCount('capturePayment')).toBe(0);
      expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'VOIDED' })]);
      expect(compensationsOf(await sagaState(handle))).toEqual([
        'voidOrRefundPayment COMPLETED',
        'releaseInventory COMPLETED',
      ]);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('while the capture is in flight: finishes confirming, then refunds and releases', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock);
    const capture = fake.holdFirstCall('capturePayment');
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await capture.started;
      expect(await requestCancel(handle, customerCancel)).toMatchObject({
        status: 'PENDING',
        step: 'CONFIRMING',
      });
      capture.release();
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'CUSTOMER_REQUEST'));

      // The cancellation is honoured at the next step boundary, so CONFIRMED is written first.
      expect(distinctRuns(callsAfterLast(fake.callLabels, 'commitInventory'))).toEqual([
        'recordOrderStatus(CONFIRMED)',
        'voidOrRefundPayment',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expect(fake.recordedStatuses).toEqual(['CONFIRMED', 'CANCELLED']);
      expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'REFUNDED' })]);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('(c) after CONFIRMED, awaiting fulfilment: refunds, releases the sold stock, records CANCELLED', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock);
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.step === 'AWAITING_FULFILMENT');
      expect(fake.level(PRODUCT_A)).toEqual({ available: 8, reserved: 0, sold: 2 });

      const accepted = await requestCancel(handle, customerCancel);
      expect(accepted).toMatchObject({ status: 'CONFIRMED', step: 'AWAITING_FULFILMENT' });
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'CUSTOMER_REQUEST'));

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
      expect(fake.recordedStatuses).toEqual(['CONFIRMED', 'CANCELLED']);
      expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'REFUNDED' })]);
      const state = await sagaState(handle);
      expect(state).toMatchObject({
        status: 'CANCELLED',
        step: 'CANCELLED',
        cancellationReason: 'CUSTOMER_REQUEST',
      });
      expect(timelineOf(state).slice(-4)).toEqual([
        'AWAITING_FULFILMENT STARTED',
        'CANCEL_REQUESTED SIGNALLED CUSTOMER_REQUEST',
        'COMPENSATING STARTED',
        'CANCELLED COMPLETED CUSTOMER_REQUEST',
      ]);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('(d) after PROCESSING: still cancellable', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock);
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      await expect(advance(handle, 'PROCESSING')).resolves.toBe('PROCESSING');
      expect(await requestCancel(handle, customerCancel)).toMatchObject({ status: 'PROCESSING' });
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'CUSTOMER_REQUEST'));

      expect(fake.recordedStatuses).toEqual(['CONFIRMED', 'PROCESSING', 'CANCELLED']);
      expect(distinctRuns(callsAfterLast(fake.callLabels, 'recordOrderStatus(PROCESSING)'))).toEqual([
        'voidOrRefundPayment',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('(e) after SHIPPED: the cancel update is refused and the order goes on to DELIVERED', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      await advance(handle, 'SHIPPED');

      expect(await refusal(requestCancel(handle, customerCancel))).toBe(
        'order is SHIPPED and can no longer be cancelled',
      );

      // A cancel signal has no answer to refuse with: it is ignored.
      await handle.signal(cancelSignal, customerCancel);

      await expect(advance(handle, 'DELIVERED')).resolves.toBe('DELIVERED');
      await expect(handle.result()).resolves.toEqual({ orderId: input.orderId, status: 'DELIVERED' });

      expect(fake.recordedStatuses).toEqual(['CONFIRMED', 'SHIPPED', 'DELIVERED']);
      expect(fake.callCount('voidOrRefundPayment') + fake.callCount('releaseInventory')).toBe(0);
      expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'CAPTURED' })]);
      expect(fake.level(PRODUCT_B)).toEqual({ available: 4, reserved: 0, sold: 1 });
      const state = await sagaState(handle);
      expect(state).toMatchObject({ step: 'COMPLETED', compensations: [] });
      expect(timelineOf(state)).not.toContain('CANCEL_REQUESTED SIGNALLED CUSTOMER_REQUEST');
    });
  });

  it('(f) by the cancel signal (no answer) as well as the update', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock);
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      await handle.signal(cancelSignal, customerCancel);
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'CUSTOMER_REQUEST'));

      expect(fake.recordedStatuses).toEqual(['CONFIRMED', 'CANCELLED']);
      expect(fake.statuses.at(-1)).toMatchObject({ reason: 'CUSTOMER_REQUEST', detail: 'changed my mind' });
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('a second cancellation is accepted as a no-op and compensations run once', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock);
    const authorize = fake.holdFirstCall('authorizePayment');
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await authorize.started;
      await requestCancel(handle, customerCancel);
      await handle.signal(cancelSignal, { reason: 'SYSTEM_ERROR', detail: 'second request' });
      const again = await requestCancel(handle, { reason: 'PAYMENT_TIMEOUT' });
      // The first request wins; the later ones leave no trace.
      expect(timelineOf(again).filter((e) => e.startsWith('CANCEL_REQUESTED'))).toEqual([
        'CANCEL_REQUESTED SIGNALLED CUSTOMER_REQUEST',
      ]);
      authorize.release();
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'CUSTOMER_REQUEST'));
      expect(fake.callCount('voidOrRefundPayment')).toBe(1);
      expect(fake.callCount('releaseInventory')).toBe(1);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  // Regression: the compensations used to run in the cancelled scope and were cancelled with it, leaving
  // the stock held and the money taken.
  it('cancelling the workflow execution itself still releases the stock and refunds the payment', async () => {
    const stock = defaultStock();
    const fake = new FakeOrderSystem(stock);
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.step === 'AWAITING_FULFILMENT');
      await handle.cancel(); // e.g. `temporal workflow cancel` by an operator
      const outcome: unknown = await handle.result().catch((e: unknown) => e);
      // Either a CANCELLED result or a cancelled workflow is acceptable; held stock or money is not.
      if (outcome instanceof WorkflowFailedError) {
        expect(outcome.cause?.name).toBe('CancelledFailure');
      } else {
        expect(outcome).toMatchObject({ status: 'CANCELLED' });
      }
      expect(compensationsOf(await sagaState(handle))).toEqual([
        'voidOrRefundPayment COMPLETED',
        'releaseInventory COMPLETED',
      ]);
      expect(fake.callCount('voidOrRefundPayment')).toBe(1);
      expect(fake.callCount('releaseInventory')).toBe(1);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });
});
