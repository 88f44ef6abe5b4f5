import type Redis from 'ioredis';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';
import { CacheRedis } from './cache-redis';
import { cacheSettings, type VersionedCacheOptions } from './cache-settings';
import { writeEntry } from './entry-write';
import { INVALIDATE_ENTRY } from './lua';
import { parseJson } from './redis-call';
import { readEntry, readPage } from './read-through';
import { SingleFlight } from './single-flight';
import {
  statsFrom,
  type CacheEntry,
  type CacheStats,
  type InvalidateResult,
  type LocalCacheCounters,
  type WriteOutcome,
} from './stats';

export type { CacheEntry, CacheStats, InvalidateResult, LocalCacheCounters, WriteOutcome } from './stats';
export type { VersionedCacheOptions } from './cache-settings';
export { CacheTimeoutError } from './redis-call';

/**
 * A read-through cache over Redis whose entries carry the row version they were built from, so
 * that a write can never replace a newer value with an older one (see ./lua.ts for the rules).
 *
 * Reads go through ./read-through.ts; concurrent misses of one key in this process share the
 * first one's load (single flight). Redis being down or slow never fails a read: it is answered
 * by the loader and counted in `fallbacks`.
 */
export class VersionedCache {
  readonly enabled: boolean;
  readonly local: LocalCacheCounters;
  private readonly flights = new SingleFlight();
  private readonly backend: CacheRedis;

  constructor(redis: Redis, options: VersionedCacheOptions) {
    this.backend = new CacheRedis(redis, cacheSettings(options), options.logger);
    this.enabled = this.backend.settings.enabled;
    this.local = this.backend.local;
  }

  // -------------------------------------------------------------------------------------------
  // Reads
  // -------------------------------------------------------------------------------------------

  /** The cached value of `key`, or the loader's (stored on the way); undefined: the loader found none. */
  async get<T>(key: string, load: () => Promise<CacheEntry<T> | undefined>): Promise<T | undefined> {
    if (!this.enabled) return (await load())?.value;
    return this.shared(`entry:${key}`, () => readEntry(this.backend, key, load));
  }

  /**
   * A generational page (e.g. a page of the orders list): cached under the current value of the
   * generation counter, so bumping the counter retires every page at once; pages live listTtlSeconds.
   */
  async getPage<T>(
    generationKey: string,
    prefix: string,
    queryHash: string,
    load: () => Promise<T>,
  ): Promise<T> {
    if (!this.enabled) return load();
    return this.shared(`page:${prefix}${queryHash}`, () =>
      readPage(this.backend, generationKey, prefix, queryHash, load),
    );
  }

  private shared<T>(flightKey: string, work: () => Promise<T>): Promise<T> {
    const before = this.flights.joined;
    const result = this.flights.run(flightKey, work);
    if (this.flights.joined > before) this.local.sharedLoads += 1;
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Writes (they throw when Redis fails; wrap in `quietly` where a failure must not surface)
  // -------------------------------------------------------------------------------------------

  /**
   * Stores `entry` under the version rules. `kind: 'warm'` is the CDC consumer's write (counted as a
   * warm and announced on the `cache:warmed` channel); `raiseFence` is for a writer that knows the
   * row is now at this version (write-through after an update in the API).
   */
  async set<T>(
    key: string,
    entry: CacheEntry<T>,
    options: { kind?: 'fill' | 'warm'; raiseFence?: boolean } = {},
  ): Promise<WriteOutcome> {
    if (!this.enabled) return 'unchanged';
    return writeEntry(this.backend, key, entry, {
      kind: options.kind === 'warm' ? 'warms' : 'fills',
      lockToken: '',
      raiseFence: options.raiseFence,
      publish: options.kind === 'warm',
    });
  }

  /**
   * The row behind `key` is now at `version` (or gone: pass the last version + 1): raises the
   * key's fence to it and drops a cached value older than it. With `generationKey`, also bumps that
   * counter (retiring the list pages) in the same step. Says whether a value was dropped, and the
   * version still cached if one at `version` or newer is there (then there is nothing to warm).
   */
  async invalidate(
    key: string,
    version: number,
    options: { generationKey?: string } = {},
  ): Promise<InvalidateResult> {
    if (!this.enabled) return { dropped: false };
    const { client, settings } = this.backend;
    const keys = [key, settings.statsKey, ...(options.generationKey ? [options.generationKey] : [])];
    const [dropped, cached] = (await this.backend.call(
      INVALIDATE_ENTRY.run(client, keys, [version, settings.fenceTtlMs]),
    )) as [number, number];
    return { dropped: dropped === 1, ...(cached >= 0 ? { cachedVersion: cached } : {}) };
  }

  /** Retires every page cached under the counter. */
  async bumpGeneration(generationKey: string): Promise<number> {
    if (!this.enabled) return 0;
    return this.backend.call(this.backend.client.incr(generationKey));
  }

  /** Runs a cache write whose failure must not fail the request (the CDC consumer will catch up). */
  async quietly(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.backend.failed(what, error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Inspection
  // -------------------------------------------------------------------------------------------

  /** What Redis holds for `key` right now (tests, tools): value, its version, the fence, the TTL. */
  async peek<T>(
    key: string,
  ): Promise<{ version?: number; value?: T; fence?: number; ttlMs: number } | undefined> {
    const { client } = this.backend;
    const [fields, ttl] = await this.backend.call(
      Promise.all([client.hmget(key, 'v', 'd', 'f'), client.pttl(key)]),
    );
    const [v, d, f] = fields;
    if (v === null && d === null && f === null) return undefined;
    const parsed = parseJson<T>(d);
    return {
      ...(v !== null ? { version: Number(v) } : {}),
      ...(parsed.ok ? { value: parsed.value } : {}),
      ...(f !== null ? { fence: Number(f) } : {}),
      ttlMs: ttl,
    };
  }

  /** The shared counters from Redis plus this process's own; Redis down: zeros and redis 'down'. */
  async stats(): Promise<CacheStats> {
    try {
      const raw = await this.backend.call(this.backend.client.hgetall(this.backend.settings.statsKey));
      return statsFrom(raw, 'up', this.local);
    } catch (error) {
      this.backend.failed('stats', error);
      return statsFrom({}, 'down', this.local);
    }
  }
}

/** The cache as configured by CACHE_ENABLED / CACHE_TTL_SECONDS / CACHE_LIST_TTL_SECONDS. */
export function cacheFromConfig(
  redis: Redis,
  config: Pick<AppConfig, 'CACHE_ENABLED' | 'CACHE_TTL_SECONDS' | 'CACHE_LIST_TTL_SECONDS'>,
  logger?: Logger,
  overrides: Partial<VersionedCacheOptions> = {},
): VersionedCache {
  return new VersionedCache(redis, {
    enabled: config.CACHE_ENABLED,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    listTtlSeconds: config.CACHE_LIST_TTL_SECONDS,
    logger,
    ...overrides,
  });
}
