/**
 * The saga's payment activities, run through MockActivityEnvironment against real order rows in
 * the stack's Postgres and the Redis-backed SimulatedPaymentProvider (behind the
 * ResilientPaymentGateway, as the worker wires it), plus the gateway's timeout and circuit breaker
 * in front of a scripted fake of the outside provider.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import Redis from 'ioredis';
import { createActivities } from '../../activities/create-activities';
import {
  PaymentDeclinedError,
  PaymentStateError,
  type AuthorizeRequest,
  type PaymentGateway,
  type ProviderPayment,
} from '../../activities/payments/gateway';
import { ResilientPaymentGateway } from '../../activities/payments/resilient-gateway';
import { SimulatedPaymentProvider, TEST_PAYMENT_METHODS } from '../../activities/payments/simulated-provider';
import type { AuthorizePaymentInput, OrderActivities, PaymentRef } from '../../activities/types';
import { EventType } from '../../domain/events';
import type { Order } from '../../domain/orders/db';
import { PAYMENT_PROVIDER_BUDGET_MS } from '../../workflows/activity-options';
import { FailureType } from '../../workflows/contract';
import {
  closeTestDbs,
  createPendingOrder,
  createTestDbs,
  createTestItem,
  ordersOutbox,
  testRunId,
} from '../support/db';
import { sleep } from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';
import {
  applicationFailureOf,
  deleteKeysWithPrefix,
  quietActivityRunner,
  rejectionOf,
  valuesWithPrefix,
} from './helpers';

// cockatiel 4 (used by ResilientPaymentGateway) ships only ES modules, which jest's CommonJS module
// runtime cannot load untransformed (jest.config.js transforms only .ts). Node >= 20.19 can
// require() them natively, so hand jest Node's own copy (jest's `module` shim would recurse here).
jest.mock('cockatiel', (): unknown =>
  process.getBuiltinModule('node:module').createRequire(__filename)('cockatiel'),
);

const RUN = testRunId('actpay');
const CUSTOMER = `${RUN}-customer`;
const PRODUCT = `${RUN}-widget`;
const KEY_PREFIX = `test:paysim:${RUN}:`;

const dbs = createTestDbs();
const { ordersDb } = dbs;
const redis = new Redis(stackConfig.REDIS_URL, { maxRetriesPerRequest: 3 });
/** How long tok_timeout authorizations hang; the short-timeout gateway gives up long before. */
const HANG_MS = 1500;
const provider = new SimulatedPaymentProvider(
  redis,
  { declineRate: 0, latencyMs: 0, timeoutRate: 0, hangMs: HANG_MS },
  KEY_PREFIX,
);
// Generous call timeout: these tests are about the activities, not about a slow machine.
const payments = new ResilientPaymentGateway(provider, {
  callTimeoutMs: 5000,
  failuresToOpen: 50,
  halfOpenAfterMs: 1000,
});
const activities = createActivities({ ...dbs, payments });
const SHORT_TIMEOUT_MS = 200;
const impatient = createActivities({
  ...dbs,
  payments: new ResilientPaymentGateway(provider, {
    callTimeoutMs: SHORT_TIMEOUT_MS,
    failuresToOpen: 50,
    halfOpenAfterMs: 1000,
  }),
});
const run = quietActivityRunner();

const authorizeWith = (acts: OrderActivities, input: AuthorizePaymentInput) =>
  run(acts.authorizePayment.bind(acts), input);
const authorize = (input: AuthorizePaymentInput) => authorizeWith(activities, input);
const capture = (input: PaymentRef) => run(activities.capturePayment.bind(activities), input);
const voidOrRefund = (input: PaymentRef) => run(activities.voidOrRefundPayment.bind(activities), input);

/** A PENDING order of 2 × 25.00, and the authorize input the saga would send for it. */
async function newOrder(paymentMethod: string = TEST_PAYMENT_METHODS.visa) {
  const order: Order = await createPendingOrder(dbs, CUSTOMER, [{ productId: PRODUCT, quantity: 2 }]);
  const input: AuthorizePaymentInput = {
    orderId: order.id,
    amount: order.totalAmount.toFixed(2),
    currency: order.currency,
    idempotencyKey: randomUUID(),
    paymentMethod,
  };
  const ref: PaymentRef = { orderId: order.id, idempotencyKey: input.idempotencyKey };
  return { order, input, ref };
}

const paymentRows = (orderId: string) => ordersDb.payment.findMany({ where: { orderId } });
const paymentOutbox = async (orderId: string) =>
  (await ordersOutbox(ordersDb, orderId)).filter((e) => e.aggregateType === 'payments');
/** Every payment the provider holds for one of our orders (its "metadata" reference). */
const providerPaymentsFor = async (orderId: string) =>
  (await valuesWithPrefix<ProviderPayment>(redis, KEY_PREFIX)).filter((p) => p.reference === orderId);

beforeAll(async () => {
  await createTestItem(dbs.inventoryDb, PRODUCT, 1000, '25.00');
});

afterAll(async () => {
  await deleteKeysWithPrefix(redis, KEY_PREFIX);
  await redis.quit();
  await closeTestDbs(dbs, RUN);
});

describe('authorizePayment', () => {
  it('authorizes at the provider and mirrors it: payments row AUTHORIZED and PAYMENT_AUTHORIZED', async () => {
    const { order, input } = await newOrder();

    const { providerReference } = await authorize({ ...input, traceparent: '00-aa-bb-01' });

    const atProvider = await provider.lookup(input.idempotencyKey);
    expect(atProvider).toMatchObject({
      status: 'AUTHORIZED',
      amount: '50.00',
      currency: 'USD',
      reference: order.id,
      providerReference,
      captures: 0,
    });
    const rows = await paymentRows(order.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      idempotencyKey: input.idempotencyKey,
      status: 'AUTHORIZED',
      providerReference,
    });
    expect(rows[0]?.amount.toFixed(2)).toBe('50.00');
    const events = await paymentOutbox(order.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      aggregateId: order.id,
      type: EventType.PaymentAuthorized,
      traceparent: '00-aa-bb-01',
      payload: {
        orderId: order.id,
        status: 'AUTHORIZED',
        previousStatus: null,
        amount: '50.00',
        currency: 'USD',
        providerReference,
      },
    });
  });

  it('a retry with the same idempotency key: one provider payment, one row, no second event', async () => {
    const { order, input } = await newOrder();

    const first = await authorize(input);
    const second = await authorize(input);

    expect(second).toEqual(first);
    expect(await providerPaymentsFor(order.id)).toHaveLength(1);
    expect(await paymentRows(order.id)).toHaveLength(1);
    expect((await paymentOutbox(order.id)).map((e) => e.type)).toEqual([EventType.PaymentAuthorized]);
  });

  it('a decline is a non-retryable PaymentDeclined failure and is recorded as DECLINED', async () => {
    const { order, input } = await newOrder(TEST_PAYMENT_METHODS.declined);

    const failure = await applicationFailureOf(authorize(input));

    expect(failure.type).toBe(FailureType.PaymentDeclined);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ declineCode: 'card_declined' }]);
    expect((await provider.lookup(input.idempotencyKey))?.status).toBe('DECLINED');
    const rows = await paymentRows(order.id);
    expect(rows.map((r) => [r.status, r.providerReference])).toEqual([['DECLINED', null]]);
    expect((await paymentOutbox(order.id)).map((e) => e.type)).toEqual([EventType.PaymentDeclined]);

    // A retry gets the same answer and writes nothing new.
    const again = await applicationFailureOf(authorize(input));
    expect(again.type).toBe(FailureType.PaymentDeclined);
    expect(await paymentRows(order.id)).toHaveLength(1);
    expect(await paymentOutbox(order.id)).toHaveLength(1);
  });

  it('a provider that hangs past the call timeout is a retryable PaymentProviderTimeout failure', async () => {
    const { order, input } = await newOrder(TEST_PAYMENT_METHODS.timeout);

    const started = Date.now();
    const failure = await applicationFailureOf(authorizeWith(impatient, input));

    expect(Date.now() - started).toBeLessThan(HANG_MS);
    expect(failure.message).toBe(`payment provider did not answer authorize within ${SHORT_TIMEOUT_MS}ms`);
    expect(failure.type).toBe(FailureType.PaymentProviderTimeout);
    expect(failure.nonRetryable).toBe(false);
    expect(await paymentRows(order.id)).toEqual([]);
    await sleep(HANG_MS); // the abandoned provider call ends on its own
  });

  it('a provider still failing 45 s after the first attempt ends the step: PaymentProviderUnavailable', async () => {
    const { order, input } = await newOrder(TEST_PAYMENT_METHODS.timeout);
    const retriedForAMinute = quietActivityRunner(() => ({
      scheduledTimestampMs: Date.now() - (PAYMENT_PROVIDER_BUDGET_MS + 1000),
      attempt: 9,
    }));

    const failure = await applicationFailureOf(
      retriedForAMinute(impatient.authorizePayment.bind(impatient), input),
    );

    expect(failure.type).toBe(FailureType.PaymentProviderUnavailable);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(
      /^payment provider unavailable for 46 s \(attempt 9\): payment provider did not answer/,
    );
    expect(await paymentRows(order.id)).toEqual([]);
    // A decline past the budget is still a decline, recorded as such.
    const declined = await newOrder(TEST_PAYMENT_METHODS.declined);
    const refusal = await applicationFailureOf(
      retriedForAMinute(activities.authorizePayment.bind(activities), declined.input),
    );
    expect(refusal.type).toBe(FailureType.PaymentDeclined);
    await sleep(HANG_MS); // the abandoned provider call ends on its own
  });

  it('a late authorize retry after capture does not move our payment row backwards', async () => {
    // BUG (see report): Temporal does not stop an attempt that outlived its start-to-close
    // timeout (no heartbeats), so an old authorize attempt can finish after the saga has moved on
    // and captured. The provider answers the repeat with the existing (CAPTURED) payment, and the
    // activity records 'AUTHORIZED' regardless; our mirror must keep CAPTURED.
    const { order, input, ref } = await newOrder();
    await authorize(input);
    await capture(ref);

    await authorize(input); // the zombie attempt

    expect((await provider.lookup(input.idempotencyKey))?.status).toBe('CAPTURED');
    expect((await paymentRows(order.id)).map((r) => r.status)).toEqual(['CAPTURED']);
    expect((await paymentOutbox(order.id)).map((e) => e.type)).toEqual([
      EventType.PaymentAuthorized,
      EventType.PaymentCaptured,
    ]);
  });
});

describe('capturePayment', () => {
  it('captures once even when called twice', async () => {
    const { order, input, ref } = await newOrder();
    await authorize(input);

    await capture(ref);
    await capture(ref);

    expect(await provider.lookup(input.idempotencyKey)).toMatchObject({ status: 'CAPTURED', captures: 1 });
    expect((await paymentRows(order.id)).map((r) => [r.status, r.version])).toEqual([['CAPTURED', 1]]);
    expect((await paymentOutbox(order.id)).map((e) => e.type)).toEqual([
      EventType.PaymentAuthorized,
      EventType.PaymentCaptured,
    ]);
  });
});

describe('voidOrRefundPayment', () => {
  it('voids an authorization that was never captured', async () => {
    const { order, input, ref } = await newOrder();
    await authorize(input);

    expect(await voidOrRefund(ref)).toBe('VOIDED');
    expect(await voidOrRefund(ref)).toBe('VOIDED');

    expect(await provider.lookup(input.idempotencyKey)).toMatchObject({ status: 'VOIDED', captures: 0 });
    expect((await paymentRows(order.id)).map((r) => r.status)).toEqual(['VOIDED']);
    expect((await paymentOutbox(order.id)).map((e) => e.type)).toEqual([
      EventType.PaymentAuthorized,
      EventType.PaymentVoided,
    ]);
  });

  it('refunds a captured payment once, even when called twice', async () => {
    const { order, input, ref } = await newOrder();
    await authorize(input);
    await capture(ref);

    expect(await voidOrRefund(ref)).toBe('REFUNDED');
    expect(await voidOrRefund(ref)).toBe('REFUNDED');

    expect(await provider.lookup(input.idempotencyKey)).toMatchObject({
      status: 'REFUNDED',
      captures: 1,
      refunds: 1,
    });
    expect((await paymentRows(order.id)).map((r) => r.status)).toEqual(['REFUNDED']);
    expect((await paymentOutbox(order.id)).map((e) => e.type)).toEqual([
      EventType.PaymentAuthorized,
      EventType.PaymentCaptured,
      EventType.PaymentRefunded,
    ]);
  });

  // Found by the fault suite: Postgres went away between the provider's capture and its record.
  it('records the refund of a capture whose record was lost (row AUTHORIZED, provider CAPTURED)', async () => {
    const { order, input, ref } = await newOrder();
    await authorize(input);
    await provider.capture(input.idempotencyKey);
    expect((await paymentRows(order.id)).map((r) => r.status)).toEqual(['AUTHORIZED']);

    expect(await voidOrRefund(ref)).toBe('REFUNDED');

    expect((await paymentRows(order.id)).map((r) => r.status)).toEqual(['REFUNDED']);
    expect((await paymentOutbox(order.id)).map((e) => e.type)).toEqual([
      EventType.PaymentAuthorized,
      EventType.PaymentRefunded,
    ]);
  });

  it('returns NONE when the provider never saw the key, and writes nothing', async () => {
    const { order, ref } = await newOrder();

    expect(await voidOrRefund(ref)).toBe('NONE');

    expect(await provider.lookup(ref.idempotencyKey)).toBeUndefined();
    expect(await paymentRows(order.id)).toEqual([]);
    expect(await paymentOutbox(order.id)).toEqual([]);
  });

  it('returns NONE for a declined payment', async () => {
    const { order, input, ref } = await newOrder(TEST_PAYMENT_METHODS.declined);
    await rejectionOf(authorize(input));

    expect(await voidOrRefund(ref)).toBe('NONE');
    expect((await paymentRows(order.id)).map((r) => r.status)).toEqual(['DECLINED']);
  });

  it('voids an authorization whose answer was lost (provider has it, our table does not)', async () => {
    const { order, input, ref } = await newOrder();
    // The provider acted, but the activity never heard back, so nothing was recorded.
    const lost = await provider.authorize({
      idempotencyKey: input.idempotencyKey,
      amount: input.amount,
      currency: input.currency,
      reference: order.id,
      paymentMethod: input.paymentMethod,
    });
    expect(await paymentRows(order.id)).toEqual([]);

    expect(await voidOrRefund(ref)).toBe('VOIDED');

    expect((await provider.lookup(input.idempotencyKey))?.status).toBe('VOIDED');
    const rows = await paymentRows(order.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      idempotencyKey: input.idempotencyKey,
      status: 'VOIDED',
      providerReference: lost.providerReference,
    });
    expect(rows[0]?.amount.toFixed(2)).toBe('50.00');
    const events = await paymentOutbox(order.id);
    expect(events.map((e) => [e.type, (e.payload as { previousStatus: unknown }).previousStatus])).toEqual([
      [EventType.PaymentVoided, null],
    ]);
  });
});

/** A scripted stand-in for the outside provider, counting the calls that reach it. */
class ScriptedProvider implements PaymentGateway {
  mode: 'fail' | 'decline' | 'refuse' | 'hang' | 'ok' = 'fail';
  calls = 0;

  private async answer(idempotencyKey: string): Promise<ProviderPayment> {
    this.calls++;
    switch (this.mode) {
      case 'fail':
        throw new Error('provider: 503 service unavailable');
      case 'decline':
        throw new PaymentDeclinedError('insufficient_funds');
      case 'refuse':
        throw new PaymentStateError('cannot capture a VOIDED payment');
      case 'hang':
        await sleep(300);
        throw new Error('provider: connection reset');
      case 'ok':
        return {
          idempotencyKey,
          providerReference: `fake_${idempotencyKey}`,
          status: 'AUTHORIZED',
          amount: '1.00',
          currency: 'USD',
          reference: 'order',
          captures: 0,
          refunds: 0,
        };
    }
  }

  authorize(request: AuthorizeRequest) {
    return this.answer(request.idempotencyKey);
  }
  capture(idempotencyKey: string) {
    return this.answer(idempotencyKey);
  }
  void(idempotencyKey: string) {
    return this.answer(idempotencyKey);
  }
  refund(idempotencyKey: string) {
    return this.answer(idempotencyKey);
  }
  lookup(idempotencyKey: string) {
    return this.answer(idempotencyKey);
  }
}

describe('ResilientPaymentGateway circuit breaker', () => {
  const request = (): AuthorizeRequest => ({
    idempotencyKey: randomUUID(),
    amount: '1.00',
    currency: 'USD',
    reference: 'order',
    paymentMethod: TEST_PAYMENT_METHODS.visa,
  });

  it('opens after failuresToOpen consecutive failures, then fails fast without reaching the provider', async () => {
    const fake = new ScriptedProvider();
    const gateway = new ResilientPaymentGateway(fake, {
      callTimeoutMs: 1000,
      failuresToOpen: 3,
      halfOpenAfterMs: 60_000,
    });

    for (let i = 0; i < 3; i++) {
      await expect(gateway.authorize(request())).rejects.toThrow('503 service unavailable');
    }
    expect(fake.calls).toBe(3);

    await expect(gateway.authorize(request())).rejects.toThrow(/circuit is open; authorize not attempted/);
    await expect(gateway.capture('k')).rejects.toThrow(/circuit is open; capture not attempted/);
    await expect(gateway.lookup('k')).rejects.toThrow(/circuit is open; lookup not attempted/);
    expect(fake.calls).toBe(3);

    // Through the activity: a plain (retryable) error, neither a decline nor a timeout, and no DB write.
    const acts = createActivities({ ...dbs, payments: gateway });
    const error = await rejectionOf(
      authorizeWith(acts, {
        orderId: randomUUID(),
        amount: '1.00',
        currency: 'USD',
        idempotencyKey: randomUUID(),
        paymentMethod: TEST_PAYMENT_METHODS.visa,
      }),
    );
    expect(error).not.toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ message: expect.stringMatching(/circuit is open/) as unknown });
    expect(fake.calls).toBe(3);
  });

  it('call timeouts count as failures and open the circuit too', async () => {
    const fake = new ScriptedProvider();
    fake.mode = 'hang';
    const gateway = new ResilientPaymentGateway(fake, {
      callTimeoutMs: 50,
      failuresToOpen: 2,
      halfOpenAfterMs: 60_000,
    });

    await expect(gateway.authorize(request())).rejects.toThrow(/did not answer authorize within 50ms/);
    await expect(gateway.authorize(request())).rejects.toThrow(/did not answer authorize within 50ms/);
    await expect(gateway.authorize(request())).rejects.toThrow(/circuit is open/);
    expect(fake.calls).toBe(2);
    await sleep(300); // the abandoned calls end on their own
  });

  it('declines and state refusals are answers, not outages: they never open the circuit', async () => {
    const fake = new ScriptedProvider();
    const gateway = new ResilientPaymentGateway(fake, {
      callTimeoutMs: 1000,
      failuresToOpen: 3,
      halfOpenAfterMs: 60_000,
    });

    fake.mode = 'decline';
    for (let i = 0; i < 10; i++) {
      await expect(gateway.authorize(request())).rejects.toBeInstanceOf(PaymentDeclinedError);
    }
    fake.mode = 'refuse';
    for (let i = 0; i < 10; i++) {
      await expect(gateway.capture('k')).rejects.toBeInstanceOf(PaymentStateError);
    }
    expect(fake.calls).toBe(20);

    // Nor do they count towards the consecutive outages that do open it.
    fake.mode = 'fail';
    await expect(gateway.authorize(request())).rejects.toThrow('503');
    await expect(gateway.authorize(request())).rejects.toThrow('503');
    fake.mode = 'decline';
    await expect(gateway.authorize(request())).rejects.toBeInstanceOf(PaymentDeclinedError);
    fake.mode = 'ok';
    await expect(gateway.authorize(request())).resolves.toMatchObject({ status: 'AUTHORIZED' });
    expect(fake.calls).toBe(24);
  });

  it('after halfOpenAfterMs one trial call goes through: a failure re-opens, a success closes', async () => {
    const fake = new ScriptedProvider();
    const gateway = new ResilientPaymentGateway(fake, {
      callTimeoutMs: 1000,
      failuresToOpen: 2,
      halfOpenAfterMs: 200,
    });
    await expect(gateway.authorize(request())).rejects.toThrow('503');
    await expect(gateway.authorize(request())).rejects.toThrow('503');
    await expect(gateway.authorize(request())).rejects.toThrow(/circuit is open/);
    expect(fake.calls).toBe(2);

    // Half-open, the provider still failing: of three concurrent calls only the trial reaches it;
    // it fails, the circuit re-opens, and the two that waited on the trial fail fast.
    await sleep(250);
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => gateway.authorize(request())));
    const messages = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'ok'));
    expect(messages.filter((m) => m.includes('503'))).toHaveLength(1);
    expect(messages.filter((m) => m.includes('circuit is open'))).toHaveLength(2);
    expect(fake.calls).toBe(3);
    await expect(gateway.authorize(request())).rejects.toThrow(/circuit is open/);
    expect(fake.calls).toBe(3);

    // Half-open again, the provider recovered: one trial while others wait, then the circuit closes.
    await sleep(250);
    fake.mode = 'ok';
    const [trial, waiting] = await Promise.all([gateway.authorize(request()), gateway.authorize(request())]);
    expect(trial.status).toBe('AUTHORIZED');
    expect(waiting.status).toBe('AUTHORIZED');
    expect(fake.calls).toBe(5);
    await expect(gateway.authorize(request())).resolves.toMatchObject({ status: 'AUTHORIZED' });
    expect(fake.calls).toBe(6);
  });
});
