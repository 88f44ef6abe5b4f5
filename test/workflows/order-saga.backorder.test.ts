/**
 * Backorders: a saga allowed to wait for stock parks on a restock signal until its deadline.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, restockSignal } from '../../workflows/contract';
import { FakeOrderSystem } from './support/fake-order-activities';
import {
  PRODUCT_A,
  PRODUCT_B,
  cancelledResult,
  expectNothingHeld,
  requestCancel,
  sagaInput,
  sagaState,
  timelineOf,
  useSagaEnvironment,
  waitForState,
  withSaga,
  within,
} from './support/saga-harness';

const context = useSagaEnvironment();

const DAY_MS = 86_400_000;

/** PRODUCT_A is out of stock (the order wants 2), PRODUCT_B is plentiful. */
const shortStock = () => ({ [PRODUCT_A]: 0, [PRODUCT_B]: 5 });
const backorderInput = () => sagaInput({ allowBackorder: true, backorderTimeout: '1d' });

describe('order saga: backorders', () => {
  it('waits for a restock of an ordered product, retries the reservation and confirms', async () => {
    const fake = new FakeOrderSystem(shortStock());
    const input = backorderInput();

    await withSaga(context(), fake, input, async (handle) => {
      const waiting = await waitForState(handle, (s) => s.step === 'AWAITING_RESTOCK');
      expect(waiting.status).toBe('PENDING');
      expect(fake.callLabels).toEqual(['reserveInventory']);

      fake.restock(PRODUCT_A, 10);
      await handle.signal(restockSignal, { productId: PRODUCT_A });

      const confirmed = await waitForState(handle, (s) => s.status === 'CONFIRMED');
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'reserveInventory',
        'authorizePayment',
        'capturePayment',
        'commitInventory',
        'recordOrderStatus(CONFIRMED)',
      ]);
      expect(timelineOf(confirmed).slice(0, 5)).toEqual([
        'RESERVING_INVENTORY STARTED',
        'RESERVING_INVENTORY FAILED insufficient stock',
        'AWAITING_RESTOCK STARTED',
        `AWAITING_RESTOCK SIGNALLED ${PRODUCT_A}`,
        'RESERVING_INVENTORY COMPLETED',
      ]);
      expect(fake.level(PRODUCT_A)).toEqual({ available: 8, reserved: 0, sold: 2 });
    });
  });

  it('cancels with BACKORDER_EXPIRED when no restock arrives before the deadline, never charging', async () => {
    const stock = shortStock();
    const fake = new FakeOrderSystem(stock);
    const input = backorderInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'BACKORDER_EXPIRED'));
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expect(fake.callCount('authorizePayment')).toBe(0);
      expect(fake.statuses.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'BACKORDER_EXPIRED' });

      const state = await sagaState(handle);
      expect(state).toMatchObject({
        status: 'CANCELLED',
        step: 'CANCELLED',
        cancellationReason: 'BACKORDER_EXPIRED',
        compensations: [{ name: 'releaseInventory', outcome: 'COMPLETED' }],
      });
      // It really waited the backorder timeout (in skipped workflow time).
      const waitStarted = state.timeline.find((e) => e.step === 'AWAITING_RESTOCK')!;
      const cancelled = state.timeline.find((e) => e.step === 'CANCELLED')!;
      expect(Date.parse(cancelled.at) - Date.parse(waitStarted.at)).toBeGreaterThanOrEqual(DAY_MS);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  it('is not woken by the restock of a product it does not contain', async () => {
    const stock = shortStock();
    const fake = new FakeOrderSystem(stock);
    const input = backorderInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.step === 'AWAITING_RESTOCK');
      // Even with PRODUCT_A back on the shelf, only a signal for an ordered product may wake the saga.
      fake.restock(PRODUCT_A, 10);
      await handle.signal(restockSignal, { productId: 'sku-unrelated' });

      await expect(handle.result()).resolves.toMatchObject({
        status: 'CANCELLED',
        cancellationReason: 'BACKORDER_EXPIRED',
      });
      expect(fake.callCount('reserveInventory')).toBe(1);
      expect(fake.callCount('authorizePayment')).toBe(0);
      expect(timelineOf(await sagaState(handle))).not.toContain('AWAITING_RESTOCK SIGNALLED sku-unrelated');
      expect(fake.level(PRODUCT_A)).toEqual({ available: 10, reserved: 0, sold: 0 });
    });
  });

  it('keeps waiting (same deadline) when the retried reservation is short again', async () => {
    const fake = new FakeOrderSystem(shortStock());
    const input = backorderInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.step === 'AWAITING_RESTOCK');
      fake.restock(PRODUCT_A, 1); // not enough for 2
      await handle.signal(restockSignal, { productId: PRODUCT_A });
      await fake.waitForCall('reserveInventory', 2);

      await expect(handle.result()).resolves.toMatchObject({ cancellationReason: 'BACKORDER_EXPIRED' });
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'reserveInventory',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      const state = await sagaState(handle);
      const firstWait = state.timeline.find((e) => e.step === 'AWAITING_RESTOCK')!;
      const cancelled = state.timeline.find((e) => e.step === 'CANCELLED')!;
      // The deadline counts from the first wait, it is not renewed by the second one.
      expect(Date.parse(cancelled.at) - Date.parse(firstWait.at)).toBeLessThan(DAY_MS + 60_000);
    });
  });

  it('can be cancelled while waiting for a restock', async () => {
    const stock = shortStock();
    const fake = new FakeOrderSystem(stock);
    const input = backorderInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.step === 'AWAITING_RESTOCK');
      await requestCancel(handle, { reason: 'CUSTOMER_REQUEST' });
      await expect(handle.result()).resolves.toEqual(cancelledResult(input.orderId, 'CUSTOMER_REQUEST'));
      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'releaseInventory',
        'recordOrderStatus(CANCELLED)',
      ]);
      expectNothingHeld(fake, input.orderId, stock);
    });
  });

  // Regression: the backorder wait used to forget restocks on entry, so one that arrived during the
  // failing reservation attempt was lost and the saga slept until its deadline.
  it('does not lose a restock signalled while the failing reservation attempt was in flight', async () => {
    const fake = new FakeOrderSystem(shortStock());
    // The first attempt reads the stock before the delivery lands, so it fails as out of stock.
    const reserve = fake.holdFirstCall('reserveInventory', (_input, call) => {
      if (call === 1)
        throw ApplicationFailure.nonRetryable(`insufficient stock`, FailureType.InsufficientStock);
    });
    const input = backorderInput();

    await withSaga(context(), fake, input, async (handle) => {
      await reserve.started;
      fake.restock(PRODUCT_A, 10);
      await handle.signal(restockSignal, { productId: PRODUCT_A });
      reserve.release();

      // The signal is in history before the failed attempt's result, so the saga has already heard of
      // the restock when it starts waiting: it should retry at once instead of sleeping until the deadline.
      await within(
        fake.waitForCall('reserveInventory', 2),
        5_000,
        'the restock signalled during the failed reservation attempt was lost: no second reservation attempt',
      );
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
    });
  });
});
