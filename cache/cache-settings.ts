import type { Logger } from '../lib/logger';
import { STATS_KEY } from './keys';

export interface VersionedCacheOptions {
  /** false: every read goes to the loader and writes are no-ops (CACHE_ENABLED=false). */
  enabled?: boolean;
  ttlSeconds: number;
  listTtlSeconds: number;
  /** How long an invalidation's fence lives when no value is cached; default ttlSeconds. */
  fenceTtlSeconds?: number;
  /** Cross-process load lock lifetime: a crashed holder blocks others at most this long. */
  lockTtlMs?: number;
  /** How long a miss that lost the lock race polls for the holder's value before loading itself. */
  lockWaitMs?: number;
  pollIntervalMs?: number;
  /** Any single Redis call slower than this counts as Redis being down (reads fall back). */
  opTimeoutMs?: number;
  /** Hash of the shared counters; tests use their own so their numbers are exact. */
  statsKey?: string;
  logger?: Logger;
}

/** The options with their defaults applied, every duration in milliseconds. */
export interface CacheSettings {
  enabled: boolean;
  ttlMs: number;
  listTtlMs: number;
  fenceTtlMs: number;
  lockTtlMs: number;
  lockWaitMs: number;
  pollIntervalMs: number;
  opTimeoutMs: number;
  statsKey: string;
}

export function cacheSettings(options: VersionedCacheOptions): CacheSettings {
  return {
    enabled: options.enabled ?? true,
    ttlMs: options.ttlSeconds * 1000,
    listTtlMs: options.listTtlSeconds * 1000,
    fenceTtlMs: (options.fenceTtlSeconds ?? options.ttlSeconds) * 1000,
    lockTtlMs: options.lockTtlMs ?? 2000,
    lockWaitMs: options.lockWaitMs ?? 500,
    pollIntervalMs: options.pollIntervalMs ?? 15,
    opTimeoutMs: options.opTimeoutMs ?? 250,
    statsKey: options.statsKey ?? STATS_KEY,
  };
}
