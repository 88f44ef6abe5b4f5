/**
 * The Redis-backed SimulatedPaymentProvider on its own: idempotency under concurrency, the
 * capture / void / refund state machine, rate-based declines and added latency. Every key lives
 * under this run's prefix and is deleted in afterAll.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import {
  PaymentDeclinedError,
  PaymentStateError,
  type AuthorizeRequest,
  type ProviderPayment,
} from '../../activities/payments/gateway';
import {
  SimulatedPaymentProvider,
  TEST_PAYMENT_METHODS,
  type SimulatedProviderOptions,
} from '../../activities/payments/simulated-provider';
import { testRunId } from '../support/db';
import { stackConfig } from '../support/stack-env';
import { deleteKeysWithPrefix, rejectionOf, valuesWithPrefix } from './helpers';

const KEY_PREFIX = `test:paysim:${testRunId('sim')}:`;
const redis = new Redis(stackConfig.REDIS_URL, { maxRetriesPerRequest: 3 });

const simulator = (options: Partial<SimulatedProviderOptions> = {}, prefix = KEY_PREFIX) =>
  new SimulatedPaymentProvider(
    redis,
    { declineRate: 0, latencyMs: 0, timeoutRate: 0, hangMs: 0, ...options },
    prefix,
  );

const request = (overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({
  idempotencyKey: randomUUID(),
  amount: '42.00',
  currency: 'USD',
  reference: randomUUID(),
  paymentMethod: TEST_PAYMENT_METHODS.visa,
  ...overrides,
});

afterAll(async () => {
  await deleteKeysWithPrefix(redis, KEY_PREFIX);
  await redis.quit();
});

describe('authorize idempotency', () => {
  it('10 concurrent first attempts with one key create one payment and all get it', async () => {
    const provider = simulator({ latencyMs: 20 });
    const req = request();

    const answers = await Promise.all(Array.from({ length: 10 }, () => provider.authorize(req)));

    const references = new Set(answers.map((p) => p.providerReference));
    expect(references.size).toBe(1);
    expect(answers.every((p) => p.status === 'AUTHORIZED')).toBe(true);
    const stored = (await valuesWithPrefix<ProviderPayment>(redis, KEY_PREFIX)).filter(
      (p) => p.reference === req.reference,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]).toEqual(answers[0]);
  });

  it('a repeat with the same key returns the first payment, even with a different amount', async () => {
    const provider = simulator();
    const req = request();
    const first = await provider.authorize(req);

    const repeat = await provider.authorize({ ...req, amount: '99.00' });

    expect(repeat).toEqual(first);
    expect(repeat.amount).toBe('42.00');
  });

  it('keys are isolated by prefix', async () => {
    const req = request();
    await simulator().authorize(req);
    expect(await simulator({}, `${KEY_PREFIX}other:`).lookup(req.idempotencyKey)).toBeUndefined();
  });
});

describe('state machine', () => {
  it('authorize → capture → refund, each repeatable without moving money twice', async () => {
    const provider = simulator();
    const { idempotencyKey } = await provider.authorize(request());

    const captured = await Promise.all([provider.capture(idempotencyKey), provider.capture(idempotencyKey)]);
    expect(captured.map((p) => [p.status, p.captures])).toEqual([
      ['CAPTURED', 1],
      ['CAPTURED', 1],
    ]);
    const refunded = await Promise.all([provider.refund(idempotencyKey), provider.refund(idempotencyKey)]);
    expect(refunded.map((p) => [p.status, p.refunds])).toEqual([
      ['REFUNDED', 1],
      ['REFUNDED', 1],
    ]);
    // Capturing a refunded payment again answers with the payment as it stands.
    expect(await provider.capture(idempotencyKey)).toMatchObject({
      status: 'REFUNDED',
      captures: 1,
      refunds: 1,
    });
  });

  it('refuses capture after void with PaymentStateError', async () => {
    const provider = simulator();
    const { idempotencyKey } = await provider.authorize(request());
    expect(await provider.void(idempotencyKey)).toMatchObject({ status: 'VOIDED' });
    expect(await provider.void(idempotencyKey)).toMatchObject({ status: 'VOIDED' });

    const error = await rejectionOf(provider.capture(idempotencyKey));

    expect(error).toBeInstanceOf(PaymentStateError);
    expect((error as Error).message).toBe('cannot capture a VOIDED payment');
    expect(await provider.lookup(idempotencyKey)).toMatchObject({ status: 'VOIDED', captures: 0 });
  });

  it('refuses refund before capture with PaymentStateError', async () => {
    const provider = simulator();
    const { idempotencyKey } = await provider.authorize(request());

    const error = await rejectionOf(provider.refund(idempotencyKey));

    expect(error).toBeInstanceOf(PaymentStateError);
    expect((error as Error).message).toBe('cannot refund a AUTHORIZED payment');
    expect(await provider.lookup(idempotencyKey)).toMatchObject({ status: 'AUTHORIZED', refunds: 0 });
  });

  it('refuses void after capture, and any transition of an unknown key', async () => {
    const provider = simulator();
    const { idempotencyKey } = await provider.authorize(request());
    await provider.capture(idempotencyKey);

    expect(await rejectionOf(provider.void(idempotencyKey))).toBeInstanceOf(PaymentStateError);
    const unknown = await rejectionOf(provider.capture(randomUUID()));
    expect(unknown).toBeInstanceOf(PaymentStateError);
    expect((unknown as Error).message).toBe('no payment with this idempotency key');
    expect(await provider.lookup(randomUUID())).toBeUndefined();
  });
});

describe('declines', () => {
  it('declineRate 1 declines every key, and keeps declining it on retry', async () => {
    const provider = simulator({ declineRate: 1 });
    for (let i = 0; i < 5; i++) {
      const req = request();
      const error = await rejectionOf(provider.authorize(req));
      expect(error).toBeInstanceOf(PaymentDeclinedError);
      expect((error as PaymentDeclinedError).declineCode).toBe('card_declined');
      expect(await provider.lookup(req.idempotencyKey)).toMatchObject({ status: 'DECLINED' });
      // The ledger is the answer: even a simulator that declines nothing repeats the decline.
      expect(await rejectionOf(simulator({ declineRate: 0 }).authorize(req))).toBeInstanceOf(
        PaymentDeclinedError,
      );
    }
  });

  it('a partial declineRate decides by idempotency key, so the same key gets the same answer', async () => {
    const outcome = async (provider: SimulatedPaymentProvider, req: AuthorizeRequest) =>
      provider.authorize(req).then(
        () => 'authorized',
        (error: unknown) => (error instanceof PaymentDeclinedError ? 'declined' : 'error'),
      );
    const keys = Array.from({ length: 40 }, () => randomUUID());
    // Two simulators with separate ledgers: the answer comes from the key, not from stored state.
    const first = simulator({ declineRate: 0.5 }, `${KEY_PREFIX}a:`);
    const second = simulator({ declineRate: 0.5 }, `${KEY_PREFIX}b:`);

    const a = await Promise.all(keys.map((idempotencyKey) => outcome(first, request({ idempotencyKey }))));
    const b = await Promise.all(keys.map((idempotencyKey) => outcome(second, request({ idempotencyKey }))));

    expect(b).toEqual(a);
    expect(a).toContain('declined');
    expect(a).toContain('authorized');
    expect(a).not.toContain('error');
  });

  it('tok_chargeDeclined declines regardless of declineRate', async () => {
    const error = await rejectionOf(
      simulator().authorize(request({ paymentMethod: TEST_PAYMENT_METHODS.declined })),
    );
    expect(error).toBeInstanceOf(PaymentDeclinedError);
  });
});

describe('latency', () => {
  const elapsed = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };

  it('adds latencyMs to authorize and to every transition', async () => {
    const latencyMs = 120;
    const provider = simulator({ latencyMs });
    const req = request();

    // A timer may fire a millisecond early against performance.now(); allow for that only.
    expect(await elapsed(() => provider.authorize(req))).toBeGreaterThanOrEqual(latencyMs - 2);
    expect(await elapsed(() => provider.capture(req.idempotencyKey))).toBeGreaterThanOrEqual(latencyMs - 2);
    expect(await elapsed(() => provider.refund(req.idempotencyKey))).toBeGreaterThanOrEqual(latencyMs - 2);
    // lookup is a read of the ledger and is not delayed.
    expect(await elapsed(() => provider.lookup(req.idempotencyKey))).toBeLessThan(latencyMs);
  });

  it('tok_timeout hangs for hangMs, then fails without recording a payment', async () => {
    const provider = simulator({ hangMs: 150 });
    const req = request({ paymentMethod: TEST_PAYMENT_METHODS.timeout });

    const started = performance.now();
    const error = await rejectionOf(provider.authorize(req));

    expect(performance.now() - started).toBeGreaterThanOrEqual(148);
    expect((error as Error).message).toBe('simulated provider: connection reset');
    expect(await provider.lookup(req.idempotencyKey)).toBeUndefined();
  });

  it('timeoutRate 1 loses every answer after acting: the payment exists once the call finally returns', async () => {
    const provider = simulator({ timeoutRate: 1, hangMs: 150 });
    const req = request();

    const pending = provider.authorize(req);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The provider already acted while its answer is still "in flight".
    expect(await provider.lookup(req.idempotencyKey)).toMatchObject({ status: 'AUTHORIZED' });
    await expect(pending).resolves.toMatchObject({ status: 'AUTHORIZED' });
  });
});
