/*
 * The cache's value types and its counters: shared ones in a Redis hash (every process adds to
 * them), and this process's own (Redis cannot count what happens while it is unreachable).
 */

/** A value with the row version it was built from (orders.version, inventory_items.version). */
export interface CacheEntry<T> {
  version: number;
  value: T;
}

export interface InvalidateResult {
  /** A value older than the invalidation's version was removed. */
  dropped: boolean;
  /** The version of the value still cached (at or above the invalidation's version), if any. */
  cachedVersion?: number;
}

/** stored; unchanged: that version was already there; stale: older than the entry or its fence. */
export type WriteOutcome = 'stored' | 'unchanged' | 'stale';

/** Counters of this process only (Redis cannot count what happens while it is unreachable). */
export interface LocalCacheCounters {
  /** Reads answered from the database because Redis failed or timed out. */
  fallbacks: number;
  /** Failed or timed-out Redis calls of any kind. */
  redisErrors: number;
  /** Concurrent misses that joined another request's load in this process (single flight). */
  sharedLoads: number;
  /** Misses that found another process loading the key and polled for its value. */
  lockWaits: number;
  lockWaitHits: number;
  lockWaitTimeouts: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Values stored by readers after a miss. */
  fills: number;
  /** Values stored by the CDC consumer after a change. */
  warms: number;
  invalidations: number;
  staleWritesRejected: number;
  lookups: number;
  /** hits / (hits + misses), 0 before the first lookup. */
  hitRatio: number;
  redis: 'up' | 'down';
  process: LocalCacheCounters;
}

const STAT_FIELDS = ['hits', 'misses', 'fills', 'warms', 'invalidations', 'staleWritesRejected'] as const;

/** Turns the Redis stats hash (and this process's counters) into the /api/cache/stats answer. */
export function statsFrom(
  raw: Record<string, string>,
  redis: CacheStats['redis'],
  local: LocalCacheCounters,
): CacheStats {
  const counts = Object.fromEntries(STAT_FIELDS.map((name) => [name, Number(raw[name] ?? 0)])) as Record<
    (typeof STAT_FIELDS)[number],
    number
  >;
  const lookups = counts.hits + counts.misses;
  return {
    ...counts,
    lookups,
    hitRatio: lookups === 0 ? 0 : Math.round((counts.hits / lookups) * 10_000) / 10_000,
    redis,
    process: { ...local },
  };
}
