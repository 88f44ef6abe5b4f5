/**
 * In-memory stand-ins for the saga's activities: an inventory with available/reserved/sold counts and
 * per-order reservations, a payment provider keyed by idempotency key, and the recorded order statuses.
 * Every call is logged in order, so tests can assert the exact sequence the saga drove.
 *
 * Behaviour can be overridden per activity with a hook that runs before the default implementation: it
 * may throw (a business failure, a retryable failure, a plain error) or wait on a gate to keep the
 * activity in flight while the test sends messages to the workflow.
 */
import { ApplicationFailure } from '@temporalio/common';
import type {
  AuthorizePaymentInput,
  OrderActivities,
  PaymentCompensation,
  PlaceOrderInput,
  RecordStatusInput,
  SlaAlertInput,
} from '../../../activities/types';
import { FailureType, type OrderLine, type PlacedOrder } from '../../../workflows/contract';

export type ActivityName = keyof OrderActivities;
type ActivityInput<K extends ActivityName> = Parameters<OrderActivities[K]>[0];

/** Runs before the default behaviour; `call` counts this activity's invocations from 1 (retries included). */
export type Hook<K extends ActivityName> = (input: ActivityInput<K>, call: number) => void | Promise<void>;

export interface CallRecord {
  name: ActivityName;
  input: unknown;
  /** e.g. 'recordOrderStatus(CONFIRMED)' so call orders read naturally in assertions. */
  label: string;
}

export interface StockLevel {
  available: number;
  reserved: number;
  sold: number;
}

export interface Reservation {
  productId: string;
  quantity: number;
  status: 'ACTIVE' | 'COMMITTED' | 'RELEASED';
}

export type PaymentStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';

export interface Payment {
  orderId: string;
  idempotencyKey: string;
  amount: string;
  currency: string;
  paymentMethod: string;
  status: PaymentStatus;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class FakeOrderSystem {
  readonly calls: CallRecord[] = [];
  readonly stock = new Map<string, StockLevel>();
  readonly reservations = new Map<string, Reservation[]>();
  /** Keyed by idempotency key, like the real provider. */
  readonly payments = new Map<string, Payment>();
  readonly statuses: RecordStatusInput[] = [];
  readonly alerts: SlaAlertInput[] = [];

  private readonly hooks = new Map<ActivityName, Hook<ActivityName>>();
  private readonly callCounts = new Map<ActivityName, number>();
  private readonly waiters: { name: ActivityName; count: number; done: Deferred }[] = [];
  /** Gates left open at teardown would keep activities (and the worker) alive forever. */
  private readonly gates: Deferred[] = [];

  constructor(initialStock: Record<string, number> = {}) {
    for (const [productId, available] of Object.entries(initialStock)) {
      this.stock.set(productId, { available, reserved: 0, sold: 0 });
    }
  }

  /** Overrides one activity's behaviour (replacing an earlier hook for it). */
  on<K extends ActivityName>(name: K, hook: Hook<K>): this {
    this.hooks.set(name, hook);
    return this;
  }

  /**
   * Keeps `name` in flight on its first call until the returned `release` is called. `started` resolves
   * once the activity is running. Later calls pass straight through.
   */
  holdFirstCall<K extends ActivityName>(
    name: K,
    then?: Hook<K>,
  ): { started: Promise<void>; release: () => void } {
    const started = deferred();
    const gate = deferred();
    this.gates.push(gate);
    this.on(name, async (input, call) => {
      if (call === 1) {
        started.resolve();
        await gate.promise;
      }
      await then?.(input, call);
    });
    return { started: started.promise, release: () => gate.resolve() };
  }

  /** Resolves once `name` has been called at least `count` times. */
  waitForCall(name: ActivityName, count = 1): Promise<void> {
    if (this.callCount(name) >= count) return Promise.resolve();
    const done = deferred();
    this.waiters.push({ name, count, done });
    return done.promise;
  }

  releaseAllGates(): void {
    for (const gate of this.gates) gate.resolve();
  }

  callCount(name: ActivityName): number {
    return this.callCounts.get(name) ?? 0;
  }

  /** The labels of every call, in order, e.g. ['reserveInventory', 'authorizePayment', ...]. */
  get callLabels(): string[] {
    return this.calls.map((c) => c.label);
  }

  inputsOf<K extends ActivityName>(name: K): ActivityInput<K>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as ActivityInput<K>);
  }

  get recordedStatuses(): string[] {
    return this.statuses.map((s) => s.status);
  }

  /** Adds stock, as a warehouse delivery would. */
  restock(productId: string, quantity: number): void {
    this.level(productId).available += quantity;
  }

  /** Stock still held (reserved or sold) for an order. */
  heldFor(orderId: string): Reservation[] {
    return (this.reservations.get(orderId) ?? []).filter((r) => r.status !== 'RELEASED');
  }

  /** Payments for an order in which the provider still holds or has taken the customer's money. */
  moneyTakenFor(orderId: string): Payment[] {
    return [...this.payments.values()].filter(
      (p) => p.orderId === orderId && (p.status === 'AUTHORIZED' || p.status === 'CAPTURED'),
    );
  }

  paymentsFor(orderId: string): Payment[] {
    return [...this.payments.values()].filter((p) => p.orderId === orderId);
  }

  level(productId: string): StockLevel {
    let level = this.stock.get(productId);
    if (!level) {
      level = { available: 0, reserved: 0, sold: 0 };
      this.stock.set(productId, level);
    }
    return level;
  }

  /** The worker's activities: every call is logged, then the hook (if any) runs, then the default. */
  get activities(): OrderActivities {
    return {
      placeOrder: (input) => this.run('placeOrder', input, () => this.place(input)),
      reserveInventory: (input) =>
        this.run('reserveInventory', input, () => this.reserve(input.orderId, input.items)),
      releaseInventory: (input) => this.run('releaseInventory', input, () => this.release(input.orderId)),
      commitInventory: (input) => this.run('commitInventory', input, () => this.commit(input.orderId)),
      authorizePayment: (input) => this.run('authorizePayment', input, () => this.authorize(input)),
      capturePayment: (input) => this.run('capturePayment', input, () => this.capture(input.idempotencyKey)),
      voidOrRefundPayment: (input) =>
        this.run('voidOrRefundPayment', input, () => this.voidOrRefund(input.idempotencyKey)),
      recordOrderStatus: (input) =>
        this.run('recordOrderStatus', input, () => {
          this.statuses.push(input);
        }),
      raiseShipmentSlaAlert: (input) =>
        this.run('raiseShipmentSlaAlert', input, () => {
          this.alerts.push(input);
        }),
    };
  }

  private async run<K extends ActivityName, R>(
    name: K,
    input: ActivityInput<K>,
    implementation: () => R,
  ): Promise<R> {
    const call = (this.callCounts.get(name) ?? 0) + 1;
    this.callCounts.set(name, call);
    const label =
      name === 'recordOrderStatus' ? `${name}(${(input as RecordStatusInput).status})` : (name as string);
    this.calls.push({ name, input, label });
    for (const waiter of this.waiters.filter((w) => w.name === name && call >= w.count)) {
      waiter.done.resolve();
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
    }
    const hook = this.hooks.get(name) as Hook<K> | undefined;
    if (hook) await hook(input, call);
    return implementation();
  }

  /** Written orders by id: placing one twice answers the first, as the real store does. */
  readonly placed = new Map<string, PlacedOrder>();

  private place(input: PlaceOrderInput): PlacedOrder {
    const existing = this.placed.get(input.orderId);
    if (existing) return existing;
    const at = new Date(0).toISOString();
    const order: PlacedOrder = {
      order: {
        id: input.orderId,
        customerId: input.customerId,
        status: 'PENDING',
        totalAmount: input.totalAmount,
        currency: input.currency,
        address: { state: null, phoneNumber: null, ...input.draft.address },
        deliveryInstructions: input.draft.deliveryInstructions ?? null,
        cancellationReason: null,
        allowBackorder: input.allowBackorder,
        workflowId: `order-${input.orderId}`,
        version: 0,
        createdAt: at,
        updatedAt: at,
        items: input.draft.lines.map((l, i) => ({ id: `${input.orderId}:${i}`, ...l })),
      },
      requestFingerprint: input.draft.requestFingerprint ?? null,
    };
    this.placed.set(input.orderId, order);
    return order;
  }

  private reserve(orderId: string, items: OrderLine[]) {
    const existing = this.heldFor(orderId);
    if (existing.length > 0) return { reservationIds: existing.map((r) => `${orderId}:${r.productId}`) };
    for (const { productId, quantity } of items) {
      if (this.level(productId).available < quantity) {
        throw ApplicationFailure.nonRetryable(
          `insufficient stock for ${productId}`,
          FailureType.InsufficientStock,
          { productId },
        );
      }
    }
    const held: Reservation[] = items.map(({ productId, quantity }) => {
      const level = this.level(productId);
      level.available -= quantity;
      level.reserved += quantity;
      return { productId, quantity, status: 'ACTIVE' };
    });
    this.reservations.set(orderId, [...(this.reservations.get(orderId) ?? []), ...held]);
    return { reservationIds: held.map((r) => `${orderId}:${r.productId}`) };
  }

  private commit(orderId: string): void {
    for (const reservation of this.reservations.get(orderId) ?? []) {
      if (reservation.status !== 'ACTIVE') continue;
      const level = this.level(reservation.productId);
      level.reserved -= reservation.quantity;
      level.sold += reservation.quantity;
      reservation.status = 'COMMITTED';
    }
  }

  private release(orderId: string) {
    let released = 0;
    for (const reservation of this.reservations.get(orderId) ?? []) {
      if (reservation.status === 'RELEASED') continue;
      const level = this.level(reservation.productId);
      if (reservation.status === 'ACTIVE') level.reserved -= reservation.quantity;
      else level.sold -= reservation.quantity;
      level.available += reservation.quantity;
      reservation.status = 'RELEASED';
      released += 1;
    }
    return { released };
  }

  private authorize(input: AuthorizePaymentInput) {
    const existing = this.payments.get(input.idempotencyKey);
    if (!existing) {
      this.payments.set(input.idempotencyKey, {
        orderId: input.orderId,
        idempotencyKey: input.idempotencyKey,
        amount: input.amount,
        currency: input.currency,
        paymentMethod: input.paymentMethod,
        status: 'AUTHORIZED',
      });
    }
    return { providerReference: `pay_${input.idempotencyKey}` };
  }

  private capture(idempotencyKey: string): void {
    const payment = this.payments.get(idempotencyKey);
    if (!payment)
      throw ApplicationFailure.nonRetryable(`no authorization for ${idempotencyKey}`, 'NoAuthorization');
    if (payment.status === 'AUTHORIZED') payment.status = 'CAPTURED';
  }

  private voidOrRefund(idempotencyKey: string): PaymentCompensation {
    const payment = this.payments.get(idempotencyKey);
    if (!payment) return 'NONE';
    if (payment.status === 'AUTHORIZED') payment.status = 'VOIDED';
    else if (payment.status === 'CAPTURED') payment.status = 'REFUNDED';
    return payment.status === 'VOIDED' ? 'VOIDED' : payment.status === 'REFUNDED' ? 'REFUNDED' : 'NONE';
  }
}

/** A hook that throws `n` plain (retryable) errors, then lets the default behaviour run. */
export function failTimes<K extends ActivityName>(
  n: number,
  message = 'connection reset',
): (input: ActivityInput<K>, call: number) => void {
  return (_input, call) => {
    if (call <= n) throw new Error(`${message} (attempt ${call})`);
  };
}
