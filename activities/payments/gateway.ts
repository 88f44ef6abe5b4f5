/**
 * The payment provider, seen from TrackOps. Shaped like a card processor's API: a payment is
 * authorized under an idempotency key, then captured, voided or refunded by that key; repeating a
 * call with the same key never moves money twice.
 */
export type ProviderPaymentStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED' | 'DECLINED';

export interface ProviderPayment {
  idempotencyKey: string;
  providerReference: string;
  status: ProviderPaymentStatus;
  amount: string;
  currency: string;
  /** Our order id, as the provider's "metadata". */
  reference: string;
  captures: number;
  refunds: number;
}

export interface AuthorizeRequest {
  idempotencyKey: string;
  amount: string;
  currency: string;
  reference: string;
  /** A tokenised card, e.g. 'tok_visa'; test tokens select provider behaviour. */
  paymentMethod: string;
}

export interface PaymentGateway {
  /** Throws PaymentDeclinedError for a business refusal; other errors are worth a retry. */
  authorize(request: AuthorizeRequest): Promise<ProviderPayment>;
  capture(idempotencyKey: string): Promise<ProviderPayment>;
  /** Releases an authorization that was never captured. */
  void(idempotencyKey: string): Promise<ProviderPayment>;
  refund(idempotencyKey: string): Promise<ProviderPayment>;
  /** undefined when the provider never saw the key. */
  lookup(idempotencyKey: string): Promise<ProviderPayment | undefined>;
}

export class PaymentDeclinedError extends Error {
  constructor(readonly declineCode: string) {
    super(`payment declined: ${declineCode}`);
    this.name = 'PaymentDeclinedError';
  }
}

/** The provider did not answer in time; the call may or may not have taken effect. */
export class PaymentProviderTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`payment provider did not answer ${operation} within ${timeoutMs}ms`);
    this.name = 'PaymentProviderTimeoutError';
  }
}

/** The provider refused an operation the payment's state does not allow (e.g. capture after void). */
export class PaymentStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentStateError';
  }
}
