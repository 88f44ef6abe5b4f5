/*
 * Saga metrics counted where the side effects happen: in an activity interceptor of the worker.
 * Workflow code must stay deterministic (a replay re-runs it), so nothing is counted there; each
 * activity's result says whether it changed anything, so a retried activity is not counted twice.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import { Counter, Histogram, type Registry } from 'prom-client';
import { COMPENSATIONS } from './saga-activity-kinds';

/** Sagas whose placement this process saw but whose end it has not; bounded against leaks. */
const MAX_TRACKED_SAGAS = 50_000;
const DURATION_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600];

interface StatusChangeArgs {
  orderId?: unknown;
  status?: unknown;
  reason?: unknown;
}

export class SagaMetrics {
  private readonly started: Counter;
  private readonly confirmed: Counter;
  private readonly cancelled: Counter;
  private readonly compensations: Counter;
  private readonly compensationFailures: Counter;
  private readonly activityFailures: Counter;
  private readonly toConfirmed: Histogram;
  private readonly placedAt = new Map<string, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.started = new Counter({
      name: 'trackops_saga_started_total',
      help: 'orders a saga placed',
      registers,
    });
    this.confirmed = new Counter({
      name: 'trackops_saga_confirmed_total',
      help: 'sagas that confirmed their order',
      registers,
    });
    this.cancelled = new Counter({
      name: 'trackops_saga_cancelled_total',
      help: 'sagas that cancelled their order, by cancellation reason',
      labelNames: ['reason'],
      registers,
    });
    this.compensations = new Counter({
      name: 'trackops_saga_compensations_total',
      help: 'compensation steps that completed',
      labelNames: ['compensation'],
      registers,
    });
    this.compensationFailures = new Counter({
      name: 'trackops_saga_compensation_failures_total',
      help: 'compensation attempts that failed (each is retried)',
      labelNames: ['compensation'],
      registers,
    });
    this.activityFailures = new Counter({
      name: 'trackops_activity_failures_total',
      help: 'failed activity attempts by activity and failure type',
      labelNames: ['activity', 'failure_type'],
      registers,
    });
    this.toConfirmed = new Histogram({
      name: 'trackops_saga_duration_to_confirmed_seconds',
      help: 'from the saga writing its order to the order being CONFIRMED (sagas placed by this process)',
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
  }

  /** The worker's activity interceptor factory that feeds these metrics. */
  readonly interceptor: ActivityInterceptorsFactory = () => ({ inbound: new SagaMetricsInterceptor(this) });

  succeeded(activity: string, args: unknown[], result: unknown): void {
    const first = (args[0] ?? {}) as StatusChangeArgs & { orderId?: unknown };
    const orderId = typeof first.orderId === 'string' ? first.orderId : undefined;
    if (activity === 'placeOrder') {
      if ((result as { written?: unknown } | undefined)?.written === false || !orderId) return;
      this.started.inc();
      this.trackPlacement(orderId);
    } else if (COMPENSATIONS.has(activity)) {
      this.compensations.inc({ compensation: activity });
    } else if (activity === 'recordOrderStatus' && orderId) {
      this.statusRecorded(orderId, first);
    }
  }

  failed(activity: string, error: unknown): void {
    const type =
      error instanceof ApplicationFailure && error.type
        ? error.type
        : error instanceof Error
          ? error.name
          : 'unknown';
    this.activityFailures.inc({ activity, failure_type: type });
    if (COMPENSATIONS.has(activity)) this.compensationFailures.inc({ compensation: activity });
  }

  private statusRecorded(orderId: string, change: StatusChangeArgs): void {
    if (change.status === 'CONFIRMED') {
      this.confirmed.inc();
      const placedAt = this.placedAt.get(orderId);
      if (placedAt !== undefined) this.toConfirmed.observe((Date.now() - placedAt) / 1000);
      this.placedAt.delete(orderId);
    } else if (change.status === 'CANCELLED') {
      this.cancelled.inc({ reason: typeof change.reason === 'string' ? change.reason : 'unknown' });
      this.placedAt.delete(orderId);
    }
  }

  private trackPlacement(orderId: string): void {
    if (this.placedAt.size >= MAX_TRACKED_SAGAS) {
      const oldest = this.placedAt.keys().next().value;
      if (oldest !== undefined) this.placedAt.delete(oldest);
    }
    this.placedAt.set(orderId, Date.now());
  }
}

class SagaMetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly metrics: SagaMetrics) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const { activityType } = Context.current().info;
    try {
      const result = await next(input);
      this.metrics.succeeded(activityType, input.args, result);
      return result;
    } catch (error) {
      this.metrics.failed(activityType, error);
      throw error;
    }
  }
}
