import { closedLoop, rateOf, riseUntilFlat } from '../load/closed-loop';
import { openLoop } from '../load/open-loop';
import { placeAndSettle, PAYMENT_METHODS, type OrderClient, type OrderResult } from './order-client';
import { failureSamples, orderStats, type OrderStats } from './order-stats';

export interface SaturationOptions {
  concurrencies: readonly number[];
  levelMs: number;
  maxOrdersPerLevel: number;
  minGain: number;
  log: (line: string) => void;
}

export interface SagaLevel extends OrderStats {
  concurrency: number;
  /** CONFIRMED orders per second in the level's measured window. */
  perSecond: number;
  failureSamples: string[];
}

export interface SagaSaturation {
  levels: SagaLevel[];
  saturation: { concurrency: number; confirmedPerSecond: number };
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  count: number;
  maxInFlight: number;
  paymentMethod: string;
  expected: 'confirmed' | 'cancelled';
}

export interface OpenLoopResult extends OrderStats {
  ratePerSecond: number;
  paymentMethod: string;
  expected: 'confirmed' | 'cancelled';
  /** Arrivals skipped because maxInFlight orders were still open (the system fell behind). */
  skipped: number;
  arrivalSeconds: number;
  /** The driver's own lateness against the arrival schedule, at worst. */
  maxBehindMs: number;
  failureSamples: string[];
}

/** Every order the bench placed, for the HTTP part's ids and the clean-up at the end. */
export type OrderLedger = OrderResult[];

/** Closed loop at rising concurrency: each client places an order and waits until it is CONFIRMED. */
export async function runSagaSaturation(
  client: OrderClient,
  options: SaturationOptions,
  ledger: OrderLedger,
): Promise<SagaSaturation> {
  const rising = await riseUntilFlat(
    options.concurrencies,
    options.minGain,
    async (concurrency): Promise<SagaLevel> => {
      const run = await closedLoop({
        concurrency,
        durationMs: options.levelMs,
        maxCount: options.maxOrdersPerLevel,
        task: () => placeAndSettle(client, PAYMENT_METHODS.approved),
      });
      const results = run.runs.map((r) => r.result);
      ledger.push(...results);
      return {
        concurrency,
        perSecond: rateOf(run, (r) => r.outcome === 'confirmed'),
        ...orderStats(results, 'confirmed'),
        failureSamples: failureSamples(results),
      };
    },
    options.log,
  );
  return {
    levels: rising.levels,
    saturation: { concurrency: rising.best.concurrency, confirmedPerSecond: rising.best.perSecond },
  };
}

/** A fixed arrival rate of orders, each followed until it settles (or times out). */
export async function runOrderOpenLoop(
  client: OrderClient,
  options: OpenLoopOptions,
  ledger: OrderLedger,
): Promise<OpenLoopResult> {
  const run = await openLoop({
    ratePerSecond: options.ratePerSecond,
    count: options.count,
    maxInFlight: options.maxInFlight,
    task: () => placeAndSettle(client, options.paymentMethod),
  });
  const results = run.runs.map((r) => r.result);
  ledger.push(...results);
  return {
    ratePerSecond: options.ratePerSecond,
    paymentMethod: options.paymentMethod,
    expected: options.expected,
    skipped: run.skipped,
    arrivalSeconds: Math.round(run.arrivalsMs / 100) / 10,
    maxBehindMs: Math.round(run.maxBehindMs),
    ...orderStats(results, options.expected),
    failureSamples: failureSamples(results),
  };
}
