/**
 * The order saga's forward path on the time-skipping server with in-memory activities: confirmation,
 * fulfilment through status updates, illegal transitions, the shipment SLA timer and the payment
 * idempotency key.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, OrderStatusKey, statusSignal } from '../../workflows/contract';
import { FakeOrderSystem, deferred, failTimes } from './support/fake-order-activities';
import {
  PRODUCT_A,
  PRODUCT_B,
  advance,
  defaultStock,
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

const HOUR_MS = 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('order saga: happy path', () => {
  it('reserves, authorizes, captures, commits, confirms, then follows fulfilment to DELIVERED', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      const confirmed = await waitForState(handle, (s) => s.step === 'AWAITING_FULFILMENT');
      expect(confirmed.status).toBe('CONFIRMED');

      // Each update answers only once the saga has written the status.
      await expect(advance(handle, 'PROCESSING')).resolves.toBe('PROCESSING');
      await expect(advance(handle, 'SHIPPED', 'carrier')).resolves.toBe('SHIPPED');
      await expect(advance(handle, 'DELIVERED', 'carrier')).resolves.toBe('DELIVERED');

      await expect(handle.result()).resolves.toEqual({ orderId: input.orderId, status: 'DELIVERED' });

      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'authorizePayment',
        'capturePayment',
        'commitInventory',
        'recordOrderStatus(CONFIRMED)',
        'recordOrderStatus(PROCESSING)',
        'recordOrderStatus(SHIPPED)',
        'recordOrderStatus(DELIVERED)',
      ]);

      // Activity inputs carry the order, the trace context and the payment details unchanged.
      expect(fake.inputsOf('reserveInventory')).toEqual([
        { orderId: input.orderId, items: input.items, traceparent: input.traceparent },
      ]);
      const [authorize] = fake.inputsOf('authorizePayment');
      expect(authorize).toEqual({
        orderId: input.orderId,
        idempotencyKey: expect.stringMatching(UUID) as unknown,
        amount: '149.90',
        currency: 'EUR',
        paymentMethod: 'tok_visa',
        traceparent: input.traceparent,
      });
      expect(fake.inputsOf('capturePayment')).toEqual([
        { orderId: input.orderId, idempotencyKey: authorize?.idempotencyKey, traceparent: input.traceparent },
      ]);
      expect(fake.inputsOf('commitInventory')).toEqual([
        { orderId: input.orderId, traceparent: input.traceparent },
      ]);
      expect(fake.statuses).toEqual([
        { orderId: input.orderId, status: 'CONFIRMED', traceparent: input.traceparent },
        { orderId: input.orderId, status: 'PROCESSING', source: 'api', traceparent: input.traceparent },
        { orderId: input.orderId, status: 'SHIPPED', source: 'carrier', traceparent: input.traceparent },
        { orderId: input.orderId, status: 'DELIVERED', source: 'carrier', traceparent: input.traceparent },
      ]);

      // The ledger: the stock is sold (not held, not back on the shelf) and the money captured once.
      expect(fake.level(PRODUCT_A)).toEqual({ available: 8, reserved: 0, sold: 2 });
      expect(fake.level(PRODUCT_B)).toEqual({ available: 4, reserved: 0, sold: 1 });
      expect(fake.reservations.get(input.orderId)?.map((r) => r.status)).toEqual(['COMMITTED', 'COMMITTED']);
      expect(fake.paymentsFor(input.orderId)).toEqual([
        expect.objectContaining({ status: 'CAPTURED', amount: '149.90', currency: 'EUR' }),
      ]);
      expect(fake.callCount('releaseInventory') + fake.callCount('voidOrRefundPayment')).toBe(0);

      // The query still answers on the closed workflow.
      const state = await sagaState(handle);
      expect(state).toMatchObject({
        orderId: input.orderId,
        status: 'DELIVERED',
        step: 'COMPLETED',
        compensations: [],
        slaBreached: false,
        paymentIdempotencyKey: authorize?.idempotencyKey,
      });
      expect(state.cancellationReason).toBeUndefined();
      expect(timelineOf(state)).toEqual([
        'RESERVING_INVENTORY STARTED',
        'RESERVING_INVENTORY COMPLETED',
        'AUTHORIZING_PAYMENT STARTED',
        'AUTHORIZING_PAYMENT COMPLETED',
        'CONFIRMING STARTED',
        'CONFIRMING COMPLETED',
        'AWAITING_FULFILMENT STARTED',
        'PROCESSING SIGNALLED',
        'SHIPPED SIGNALLED carrier',
        'DELIVERED SIGNALLED carrier',
        'COMPLETED COMPLETED',
      ]);
      const times = state.timeline.map((e) => Date.parse(e.at));
      expect(times.every((t) => Number.isFinite(t))).toBe(true);
      expect(times).toEqual([...times].sort((a, b) => a - b));

      // The visibility record carries the last status the saga wrote.
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(OrderStatusKey)).toBe('DELIVERED');
    });
  });

  it('may skip PROCESSING (CONFIRMED -> SHIPPED) and accepts progress by signal as well as update', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      await handle.signal(statusSignal, { newStatus: 'SHIPPED', source: 'carrier' });
      await waitForState(handle, (s) => s.status === 'SHIPPED');
      await handle.signal(statusSignal, { newStatus: 'DELIVERED', source: 'carrier' });

      await expect(handle.result()).resolves.toEqual({ orderId: input.orderId, status: 'DELIVERED' });
      expect(fake.recordedStatuses).toEqual(['CONFIRMED', 'SHIPPED', 'DELIVERED']);
    });
  });
});

describe('order saga: illegal status transitions', () => {
  it('refuses fulfilment updates while PENDING, DELIVERED before SHIPPED and PROCESSING after SHIPPED', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const reserve = fake.holdFirstCall('reserveInventory');
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      // Still PENDING: the reservation is in flight, nothing may be moved along yet.
      await reserve.started;
      expect(await refusal(advance(handle, 'PROCESSING'))).toBe('illegal transition PENDING -> PROCESSING');
      expect(await refusal(advance(handle, 'SHIPPED'))).toBe('illegal transition PENDING -> SHIPPED');
      expect(await refusal(advance(handle, 'DELIVERED'))).toBe('illegal transition PENDING -> DELIVERED');
      reserve.release();

      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      expect(await refusal(advance(handle, 'DELIVERED'))).toBe('illegal transition CONFIRMED -> DELIVERED');

      await expect(advance(handle, 'SHIPPED')).resolves.toBe('SHIPPED');
      expect(await refusal(advance(handle, 'PROCESSING'))).toBe('illegal transition SHIPPED -> PROCESSING');
      expect(await refusal(advance(handle, 'SHIPPED'))).toBe('illegal transition SHIPPED -> SHIPPED');

      // An illegal move by signal is dropped without an answer; the next legal one still works.
      await handle.signal(statusSignal, { newStatus: 'PROCESSING', source: 'carrier' });
      await expect(advance(handle, 'DELIVERED')).resolves.toBe('DELIVERED');

      await expect(handle.result()).resolves.toEqual({ orderId: input.orderId, status: 'DELIVERED' });
      // Refused updates never reached history nor the database.
      expect(fake.recordedStatuses).toEqual(['CONFIRMED', 'SHIPPED', 'DELIVERED']);
      const state = await sagaState(handle);
      expect(state.step).toBe('COMPLETED');
      expect(timelineOf(state).filter((e) => e.endsWith('SIGNALLED'))).toEqual([
        'SHIPPED SIGNALLED',
        'DELIVERED SIGNALLED',
      ]);
    });
  });

  it('refuses further updates once DELIVERED is promised', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    // Hold the DELIVERED write so the saga is still running with DELIVERED promised.
    const deliveredWrite = deferred();
    fake.on('recordOrderStatus', async ({ status }) => {
      if (status === 'DELIVERED') await deliveredWrite.promise;
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      await advance(handle, 'SHIPPED');
      const delivered = advance(handle, 'DELIVERED');
      await fake.waitForCall('recordOrderStatus', 3);

      expect(await refusal(advance(handle, 'SHIPPED'))).toBe('illegal transition DELIVERED -> SHIPPED');
      expect(await refusal(requestCancel(handle, { reason: 'CUSTOMER_REQUEST' }))).toBe(
        'order is DELIVERED and can no longer be cancelled',
      );
      deliveredWrite.resolve();
      await expect(delivered).resolves.toBe('DELIVERED');
      await expect(handle.result()).resolves.toMatchObject({ status: 'DELIVERED' });
    });
  });
});

describe('order saga: shipment SLA timer', () => {
  it('alerts exactly once when a confirmed order is not shipped within the SLA, without failing it', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const input = sagaInput({ shipmentSla: '2h' });

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.step === 'AWAITING_FULFILMENT');
      const { env } = context();

      await env.sleep('3h');
      await fake.waitForCall('raiseShipmentSlaAlert');
      const breached = await waitForState(handle, (s) => s.slaBreached);
      expect(breached).toMatchObject({ status: 'CONFIRMED', step: 'AWAITING_FULFILMENT', compensations: [] });
      expect(fake.alerts).toEqual([{ orderId: input.orderId, sla: '2h', traceparent: input.traceparent }]);

      // The alert is raised after the SLA (in workflow time), not before.
      const confirmedAt = breached.timeline.find((e) => e.step === 'CONFIRMING' && e.outcome === 'COMPLETED');
      const alert = breached.timeline.find((e) => e.step === 'SHIPMENT_SLA');
      expect(alert).toMatchObject({ outcome: 'ALERT', detail: 'not shipped within 2h' });
      expect(Date.parse(alert!.at) - Date.parse(confirmedAt!.at)).toBeGreaterThanOrEqual(2 * HOUR_MS);

      // Much later still no second alert.
      await env.sleep('2d');
      expect(fake.callCount('raiseShipmentSlaAlert')).toBe(1);

      await expect(advance(handle, 'SHIPPED')).resolves.toBe('SHIPPED');
      await expect(advance(handle, 'DELIVERED')).resolves.toBe('DELIVERED');
      await expect(handle.result()).resolves.toEqual({ orderId: input.orderId, status: 'DELIVERED' });

      expect(fake.callLabels).toEqual([
        'reserveInventory',
        'authorizePayment',
        'capturePayment',
        'commitInventory',
        'recordOrderStatus(CONFIRMED)',
        'raiseShipmentSlaAlert',
        'recordOrderStatus(SHIPPED)',
        'recordOrderStatus(DELIVERED)',
      ]);
      expect(await sagaState(handle)).toMatchObject({ step: 'COMPLETED', slaBreached: true });
    });
  });

  it('still alerts when the order reached PROCESSING but not SHIPPED within the SLA', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const input = sagaInput({ shipmentSla: '2h' });

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      await advance(handle, 'PROCESSING');
      await context().env.sleep('3h');
      await fake.waitForCall('raiseShipmentSlaAlert');
      expect(await waitForState(handle, (s) => s.slaBreached)).toMatchObject({ status: 'PROCESSING' });
    });
  });

  it('does not alert when the order ships within the SLA', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const input = sagaInput({ shipmentSla: '2h' });

    await withSaga(context(), fake, input, async (handle) => {
      await waitForState(handle, (s) => s.status === 'CONFIRMED');
      const { env } = context();
      await env.sleep('1h');
      await expect(advance(handle, 'SHIPPED')).resolves.toBe('SHIPPED');
      await env.sleep('1d');
      await expect(advance(handle, 'DELIVERED')).resolves.toBe('DELIVERED');
      await expect(handle.result()).resolves.toMatchObject({ status: 'DELIVERED' });

      expect(fake.callCount('raiseShipmentSlaAlert')).toBe(0);
      expect(await sagaState(handle)).toMatchObject({ step: 'COMPLETED', slaBreached: false });
    });
  });
});

describe('order saga: payment idempotency key', () => {
  it('uses one key for authorize, capture and the refund, and exposes it in the state', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      const confirmed = await waitForState(handle, (s) => s.status === 'CONFIRMED');
      const key = confirmed.paymentIdempotencyKey;
      expect(key).toMatch(UUID);

      await requestCancel(handle, { reason: 'CUSTOMER_REQUEST' });
      await expect(handle.result()).resolves.toMatchObject({ status: 'CANCELLED' });

      const keys = [
        ...fake.inputsOf('authorizePayment'),
        ...fake.inputsOf('capturePayment'),
        ...fake.inputsOf('voidOrRefundPayment'),
      ].map((i) => i.idempotencyKey);
      expect(keys).toEqual([key, key, key]);
      // Stable: the query still reports the same key at the end.
      expect((await sagaState(handle)).paymentIdempotencyKey).toBe(key);
      expect(fake.paymentsFor(input.orderId)).toEqual([expect.objectContaining({ status: 'REFUNDED' })]);
    });
  });

  it('keeps the key across authorization retries, so a retried charge cannot be taken twice', async () => {
    const fake = new FakeOrderSystem(defaultStock());
    const transient = failTimes<'authorizePayment'>(2, 'provider connection reset');
    fake.on('authorizePayment', (input, call) => {
      transient(input, call);
      if (call === 3) throw ApplicationFailure.nonRetryable('do not honour', FailureType.PaymentDeclined);
    });
    const input = sagaInput();

    await withSaga(context(), fake, input, async (handle) => {
      await expect(handle.result()).resolves.toMatchObject({
        status: 'CANCELLED',
        cancellationReason: 'PAYMENT_DECLINED',
      });
      const attempts = fake.inputsOf('authorizePayment');
      expect(attempts).toHaveLength(3);
      const key = (await sagaState(handle)).paymentIdempotencyKey;
      expect(key).toMatch(UUID);
      expect(new Set(attempts.map((a) => a.idempotencyKey))).toEqual(new Set([key]));
      expect(fake.inputsOf('voidOrRefundPayment').map((i) => i.idempotencyKey)).toEqual([key]);
    });
  });

  it('gives every saga its own key', async () => {
    const keys: (string | undefined)[] = [];
    for (let i = 0; i < 2; i++) {
      const fake = new FakeOrderSystem(defaultStock());
      await withSaga(context(), fake, sagaInput(), async (handle) => {
        keys.push((await waitForState(handle, (s) => s.status === 'CONFIRMED')).paymentIdempotencyKey);
      });
    }
    expect(keys[0]).toMatch(UUID);
    expect(keys[1]).toMatch(UUID);
    expect(keys[0]).not.toBe(keys[1]);
  });
});
