import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  handleWhen,
  TimeoutStrategy,
  timeout,
  TaskCancelledError,
  wrap,
  type IPolicy,
} from 'cockatiel';
import {
  PaymentDeclinedError,
  PaymentProviderTimeoutError,
  PaymentStateError,
  type AuthorizeRequest,
  type PaymentGateway,
  type ProviderPayment,
} from './gateway';

export interface ResilienceOptions {
  /** A call slower than this is abandoned and counted as a provider failure. */
  callTimeoutMs: number;
  /** Consecutive provider failures that open the circuit. */
  failuresToOpen: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs: number;
}

/** Declines and state refusals are answers, not outages: they must not open the circuit. */
const isOutage = (error: unknown) =>
  !(error instanceof PaymentDeclinedError || error instanceof PaymentStateError);

/**
 * Puts a per-call timeout and a circuit breaker in front of a provider, so a sick provider fails
 * fast (the activity retries later with backoff) instead of tying up every worker slot.
 */
export class ResilientPaymentGateway implements PaymentGateway {
  private readonly policy: IPolicy;
  readonly breaker;

  constructor(
    private readonly provider: PaymentGateway,
    private readonly options: ResilienceOptions,
  ) {
    this.breaker = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.failuresToOpen),
    });
    this.policy = wrap(this.breaker, timeout(options.callTimeoutMs, TimeoutStrategy.Aggressive));
  }

  authorize(request: AuthorizeRequest): Promise<ProviderPayment> {
    return this.call('authorize', () => this.provider.authorize(request));
  }

  capture(idempotencyKey: string): Promise<ProviderPayment> {
    return this.call('capture', () => this.provider.capture(idempotencyKey));
  }

  void(idempotencyKey: string): Promise<ProviderPayment> {
    return this.call('void', () => this.provider.void(idempotencyKey));
  }

  refund(idempotencyKey: string): Promise<ProviderPayment> {
    return this.call('refund', () => this.provider.refund(idempotencyKey));
  }

  lookup(idempotencyKey: string): Promise<ProviderPayment | undefined> {
    return this.call('lookup', () => this.provider.lookup(idempotencyKey));
  }

  private async call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(work);
    } catch (error) {
      if (error instanceof TaskCancelledError) {
        throw new PaymentProviderTimeoutError(operation, this.options.callTimeoutMs);
      }
      if (error instanceof BrokenCircuitError) {
        throw new Error(`payment provider circuit is open; ${operation} not attempted`);
      }
      throw error;
    }
  }
}
