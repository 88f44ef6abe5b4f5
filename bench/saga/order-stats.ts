import { summarize, type LatencySummary } from '../stats';
import type { OrderOutcome, OrderResult } from './order-client';

export interface OrderStats {
  orders: number;
  confirmed: number;
  cancelled: number;
  timeouts: number;
  rejected: number;
  errors: number;
  /** Orders that settled otherwise than the part expects (a decline confirmed, an order cancelled). */
  unexpected: number;
  cancellationReasons: Record<string, number>;
  postMs: LatencySummary;
  /** POST sent -> the expected status first seen through GET /api/orders/{id}. */
  settleMs: LatencySummary;
}

export function orderStats(results: readonly OrderResult[], expected: 'confirmed' | 'cancelled'): OrderStats {
  const count = (outcome: OrderOutcome) => results.filter((r) => r.outcome === outcome).length;
  const reasons: Record<string, number> = {};
  for (const r of results) {
    if (r.outcome !== 'cancelled') continue;
    const reason = r.cancellationReason ?? 'unknown';
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  const other = expected === 'confirmed' ? 'cancelled' : 'confirmed';
  return {
    orders: results.length,
    confirmed: count('confirmed'),
    cancelled: count('cancelled'),
    timeouts: count('timeout'),
    rejected: count('rejected'),
    errors: count('error'),
    unexpected: count(other),
    cancellationReasons: reasons,
    postMs: summarize(results.flatMap((r) => (r.postMs === undefined ? [] : [r.postMs]))),
    settleMs: summarize(
      results.flatMap((r) => (r.outcome === expected && r.settleMs !== undefined ? [r.settleMs] : [])),
    ),
  };
}

/** The first failure details, so a report says what went wrong without listing every order. */
export function failureSamples(results: readonly OrderResult[], limit = 5): string[] {
  return results
    .filter((r) => r.outcome === 'timeout' || r.outcome === 'rejected' || r.outcome === 'error')
    .slice(0, limit)
    .map(
      (r) =>
        `${r.outcome}${r.orderId ? ` ${r.orderId}` : ''}: ${r.detail ?? ''} (last ${r.lastStatus ?? '-'})`,
    );
}
