import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import {
  PaymentDeclinedError,
  PaymentStateError,
  type AuthorizeRequest,
  type PaymentGateway,
  type ProviderPayment,
} from './gateway';

export interface SimulatedProviderOptions {
  /** Share of authorizations declined, decided by the idempotency key so a retry gets the same answer. */
  declineRate: number;
  latencyMs: number;
  /** Share of calls whose answer is lost: the provider acts, then stays silent past the client's timeout. */
  timeoutRate: number;
  /** How long a "lost" answer hangs. */
  hangMs: number;
}

/** Test tokens, like a real processor's test cards. */
export const TEST_PAYMENT_METHODS = {
  visa: 'tok_visa',
  declined: 'tok_chargeDeclined',
  /** Every authorization hangs: the provider never answers in time. */
  timeout: 'tok_timeout',
} as const;

/** Capture, void and refund: each repeatable, each refused from a state that does not allow it. */
const TRANSITION_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return redis.error_reply('STATE no payment with this idempotency key') end
local p = cjson.decode(raw)
local op = ARGV[1]
if op == 'capture' then
  if p.status == 'CAPTURED' or p.status == 'REFUNDED' then return raw end
  if p.status ~= 'AUTHORIZED' then return redis.error_reply('STATE cannot capture a ' .. p.status .. ' payment') end
  p.status = 'CAPTURED'
  p.captures = p.captures + 1
elseif op == 'void' then
  if p.status == 'VOIDED' or p.status == 'DECLINED' then return raw end
  if p.status ~= 'AUTHORIZED' then return redis.error_reply('STATE cannot void a ' .. p.status .. ' payment') end
  p.status = 'VOIDED'
elseif op == 'refund' then
  if p.status == 'REFUNDED' then return raw end
  if p.status ~= 'CAPTURED' then return redis.error_reply('STATE cannot refund a ' .. p.status .. ' payment') end
  p.status = 'REFUNDED'
  p.refunds = p.refunds + 1
end
local encoded = cjson.encode(p)
redis.call('SET', KEYS[1], encoded)
return encoded
`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A stable number in [0, 1) from a key, so behaviour chosen by rate is repeatable per payment. */
function unitHash(key: string, salt: string): number {
  return createHash('sha256').update(`${salt}:${key}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * A payment provider simulator whose ledger lives in Redis, outside our database and our worker,
 * so it survives a worker crash exactly as a real provider would, and a test can audit how often
 * each order was charged.
 */
export class SimulatedPaymentProvider implements PaymentGateway {
  constructor(
    private readonly redis: Redis,
    private readonly options: SimulatedProviderOptions,
    private readonly keyPrefix = 'paysim:payment:',
  ) {}

  async authorize(request: AuthorizeRequest): Promise<ProviderPayment> {
    await this.latency();
    const key = this.keyPrefix + request.idempotencyKey;
    const existing = await this.lookup(request.idempotencyKey);
    if (existing) {
      if (existing.status === 'DECLINED') throw new PaymentDeclinedError('card_declined');
      return existing;
    }
    const declined =
      request.paymentMethod === TEST_PAYMENT_METHODS.declined ||
      unitHash(request.idempotencyKey, 'decline') < this.options.declineRate;
    const payment: ProviderPayment = {
      idempotencyKey: request.idempotencyKey,
      providerReference: `sim_${createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 24)}`,
      status: declined ? 'DECLINED' : 'AUTHORIZED',
      amount: request.amount,
      currency: request.currency,
      reference: request.reference,
      captures: 0,
      refunds: 0,
    };
    if (request.paymentMethod === TEST_PAYMENT_METHODS.timeout) {
      await sleep(this.options.hangMs);
      throw new Error('simulated provider: connection reset');
    }
    // SET NX: two concurrent first attempts with one key create one payment.
    const created = await this.redis.set(key, JSON.stringify(payment), 'NX');
    const stored = created ? payment : await this.lookup(request.idempotencyKey);
    if (!stored) throw new Error('simulated provider lost a payment');
    await this.maybeLoseAnswer();
    if (stored.status === 'DECLINED') throw new PaymentDeclinedError('card_declined');
    return stored;
  }

  capture(idempotencyKey: string): Promise<ProviderPayment> {
    return this.transition(idempotencyKey, 'capture');
  }

  void(idempotencyKey: string): Promise<ProviderPayment> {
    return this.transition(idempotencyKey, 'void');
  }

  refund(idempotencyKey: string): Promise<ProviderPayment> {
    return this.transition(idempotencyKey, 'refund');
  }

  async lookup(idempotencyKey: string): Promise<ProviderPayment | undefined> {
    const raw = await this.redis.get(this.keyPrefix + idempotencyKey);
    return raw ? (JSON.parse(raw) as ProviderPayment) : undefined;
  }

  /** Atomic in Redis, so concurrent retries of one operation move money once. */
  private async transition(idempotencyKey: string, operation: 'capture' | 'void' | 'refund') {
    await this.latency();
    let raw: string;
    try {
      raw = (await this.redis.eval(
        TRANSITION_SCRIPT,
        1,
        this.keyPrefix + idempotencyKey,
        operation,
      )) as string;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes('STATE '))
        throw new PaymentStateError(message.slice(message.indexOf('STATE ') + 6));
      throw error;
    }
    await this.maybeLoseAnswer();
    return JSON.parse(raw) as ProviderPayment;
  }

  private async latency(): Promise<void> {
    if (this.options.latencyMs > 0) await sleep(this.options.latencyMs);
  }

  /** A lost answer is transient, like a dropped connection: a retry usually gets through. */
  private async maybeLoseAnswer(): Promise<void> {
    if (Math.random() < this.options.timeoutRate) await sleep(this.options.hangMs);
  }
}
