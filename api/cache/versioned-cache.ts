import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { AppConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { LOCK_PREFIX, lockKeyOf, STATS_KEY, WARMED_CHANNEL } from './keys';
import { GET_ENTRY, GET_PAGE, INVALIDATE_ENTRY, RELEASE_LOCK, SET_ENTRY, SET_PAGE } from './lua';
import { parseJson, sleep, withTimeout } from './redis-call';
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
export { CacheTimeoutError } from './redis-call';

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

/**
 * A read-through cache over Redis whose entries carry the row version they were built from, so
 * that a write can never replace a newer value with an older one (see ./lua.ts for the rules).
 *
 * Reads: a hit is one round trip. A miss takes the key's load lock in the same round trip; the
 * holder loads and stores (releasing the lock in the store's round trip), others in this process
 * share the holder's promise (single flight) and other processes poll briefly for the value, then
 * load from the database themselves. Redis being down or slow never fails a read: it is answered
 * by the loader and counted in `fallbacks`.
 */
export class VersionedCache {
  readonly enabled: boolean;
  readonly local: LocalCacheCounters = {
    fallbacks: 0,
    redisErrors: 0,
    sharedLoads: 0,
    lockWaits: 0,
    lockWaitHits: 0,
    lockWaitTimeouts: 0,
  };
  private readonly flights = new SingleFlight();
  private readonly ttlMs: number;
  private readonly listTtlMs: number;
  private readonly fenceTtlMs: number;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly pollIntervalMs: number;
  private readonly opTimeoutMs: number;
  private readonly statsKey: string;
  private lastWarnAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: VersionedCacheOptions,
  ) {
    this.enabled = options.enabled ?? true;
    this.ttlMs = options.ttlSeconds * 1000;
    this.listTtlMs = options.listTtlSeconds * 1000;
    this.fenceTtlMs = (options.fenceTtlSeconds ?? options.ttlSeconds) * 1000;
    this.lockTtlMs = options.lockTtlMs ?? 2000;
    this.lockWaitMs = options.lockWaitMs ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 15;
    this.opTimeoutMs = options.opTimeoutMs ?? 250;
    this.statsKey = options.statsKey ?? STATS_KEY;
  }

  // -------------------------------------------------------------------------------------------
  // Reads
  // -------------------------------------------------------------------------------------------

  /** The cached value of `key`, or the loader's (stored on the way); undefined: the loader found none. */
  async get<T>(key: string, load: () => Promise<CacheEntry<T> | undefined>): Promise<T | undefined> {
    if (!this.enabled) return (await load())?.value;
    return this.shared(`entry:${key}`, () => this.readEntry(key, load));
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
      this.readPage(generationKey, prefix, queryHash, load),
    );
  }

  private shared<T>(flightKey: string, work: () => Promise<T>): Promise<T> {
    const before = this.flights.joined;
    const result = this.flights.run(flightKey, work);
    if (this.flights.joined > before) this.local.sharedLoads += 1;
    return result;
  }

  private async readEntry<T>(
    key: string,
    load: () => Promise<CacheEntry<T> | undefined>,
  ): Promise<T | undefined> {
    const token = randomUUID();
    const lockKey = lockKeyOf(key);
    let reply: unknown[];
    try {
      reply = (await this.call(
        GET_ENTRY.run(this.redis, [key, this.statsKey, lockKey], ['1', token, this.lockTtlMs]),
      )) as unknown[];
    } catch (error) {
      this.failed('get', error);
      this.local.fallbacks += 1;
      return (await load())?.value;
    }
    if (reply[0] === 1) {
      const parsed = parseJson<T>(reply[2]);
      if (parsed.ok) return parsed.value;
    }
    const locked = reply[0] === 0 && reply[1] === 1;
    if (!locked) {
      const waited = await this.waitForHolder(lockKey, () => this.redis.hget(key, 'd'));
      if (waited !== undefined) {
        const parsed = parseJson<T>(waited);
        if (parsed.ok) return parsed.value;
      }
    }
    let entry: CacheEntry<T> | undefined;
    try {
      entry = await load();
    } catch (error) {
      if (locked) await this.releaseQuietly(lockKey, token);
      throw error;
    }
    if (!entry) {
      if (locked) await this.releaseQuietly(lockKey, token);
      return undefined;
    }
    try {
      await this.writeEntry(key, entry, { kind: 'fills', lockToken: locked ? token : '' });
    } catch (error) {
      this.failed('fill', error);
    }
    return entry.value;
  }

  private async readPage<T>(
    generationKey: string,
    prefix: string,
    queryHash: string,
    load: () => Promise<T>,
  ): Promise<T> {
    const token = randomUUID();
    let reply: unknown[];
    try {
      reply = (await this.call(
        GET_PAGE.run(
          this.redis,
          [generationKey, this.statsKey],
          [prefix, queryHash, '1', token, this.lockTtlMs, LOCK_PREFIX],
        ),
      )) as unknown[];
    } catch (error) {
      this.failed('get page', error);
      this.local.fallbacks += 1;
      return load();
    }
    const generation = String(reply[1]);
    const pageKey = `${prefix}${generation}:${queryHash}`;
    const lockKey = lockKeyOf(pageKey);
    if (reply[0] === 1) {
      const parsed = parseJson<T>(reply[2]);
      if (parsed.ok) return parsed.value;
    }
    const locked = reply[0] === 0 && reply[2] === 1;
    if (!locked) {
      const waited = await this.waitForHolder(lockKey, () => this.redis.get(pageKey));
      if (waited !== undefined) {
        const parsed = parseJson<T>(waited);
        if (parsed.ok) return parsed.value;
      }
    }
    let page: T;
    try {
      page = await load();
    } catch (error) {
      if (locked) await this.releaseQuietly(lockKey, token);
      throw error;
    }
    try {
      await this.call(
        SET_PAGE.run(
          this.redis,
          [generationKey, pageKey, this.statsKey, lockKey],
          [generation, JSON.stringify(page), this.listTtlMs, locked ? token : ''],
        ),
      );
    } catch (error) {
      this.failed('fill page', error);
    }
    return page;
  }

  /**
   * Another process holds the load lock: poll for the value it will store. Gives up (undefined)
   * when the wait is over, or as soon as the lock is gone without a value (the holder found
   * nothing, or its write was refused), and the caller loads from the database itself.
   */
  private async waitForHolder(
    lockKey: string,
    read: () => Promise<string | null>,
  ): Promise<string | undefined> {
    this.local.lockWaits += 1;
    const deadline = Date.now() + this.lockWaitMs;
    while (Date.now() < deadline) {
      await sleep(this.pollIntervalMs);
      try {
        const [value, lockHeld] = await this.call(Promise.all([read(), this.redis.exists(lockKey)]));
        if (value !== null) {
          this.local.lockWaitHits += 1;
          return value;
        }
        if (lockHeld === 0) break;
      } catch (error) {
        this.failed('wait for holder', error);
        break;
      }
    }
    this.local.lockWaitTimeouts += 1;
    return undefined;
  }

  private async releaseQuietly(lockKey: string, token: string): Promise<void> {
    try {
      await this.call(RELEASE_LOCK.run(this.redis, [lockKey], [token]));
    } catch (error) {
      this.failed('release lock', error);
    }
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
    return this.writeEntry(key, entry, {
      kind: options.kind === 'warm' ? 'warms' : 'fills',
      lockToken: '',
      raiseFence: options.raiseFence,
      publish: options.kind === 'warm',
    });
  }

  private async writeEntry<T>(
    key: string,
    entry: CacheEntry<T>,
    options: { kind: 'fills' | 'warms'; lockToken: string; raiseFence?: boolean; publish?: boolean },
  ): Promise<WriteOutcome> {
    const result = await this.call(
      SET_ENTRY.run(
        this.redis,
        [key, this.statsKey, lockKeyOf(key)],
        [
          entry.version,
          JSON.stringify(entry.value),
          this.ttlMs,
          options.lockToken,
          options.kind,
          options.raiseFence ? '1' : '0',
          options.publish ? WARMED_CHANNEL : '',
        ],
      ),
    );
    return result === 1 ? 'stored' : result === 0 ? 'unchanged' : 'stale';
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
    const keys = [key, this.statsKey, ...(options.generationKey ? [options.generationKey] : [])];
    const [dropped, cached] = (await this.call(
      INVALIDATE_ENTRY.run(this.redis, keys, [version, this.fenceTtlMs]),
    )) as [number, number];
    return { dropped: dropped === 1, ...(cached >= 0 ? { cachedVersion: cached } : {}) };
  }

  /** Retires every page cached under the counter. */
  async bumpGeneration(generationKey: string): Promise<number> {
    if (!this.enabled) return 0;
    return this.call(this.redis.incr(generationKey));
  }

  /** Runs a cache write whose failure must not fail the request (the CDC consumer will catch up). */
  async quietly(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.failed(what, error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Inspection
  // -------------------------------------------------------------------------------------------

  /** What Redis holds for `key` right now (tests, tools): value, its version, the fence, the TTL. */
  async peek<T>(
    key: string,
  ): Promise<{ version?: number; value?: T; fence?: number; ttlMs: number } | undefined> {
    const [fields, ttl] = await this.call(
      Promise.all([this.redis.hmget(key, 'v', 'd', 'f'), this.redis.pttl(key)]),
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
      return statsFrom(await this.call(this.redis.hgetall(this.statsKey)), 'up', this.local);
    } catch (error) {
      this.failed('stats', error);
      return statsFrom({}, 'down', this.local);
    }
  }

  // -------------------------------------------------------------------------------------------

  private call<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.opTimeoutMs);
  }

  private failed(operation: string, error: unknown): void {
    this.local.redisErrors += 1;
    const now = Date.now();
    // One line per 10 s at most: with Redis down every request would otherwise log.
    if (now - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = now;
    this.options.logger?.warn(
      { err: error, operation, redisErrors: this.local.redisErrors },
      'cache: redis unavailable, serving from the database',
    );
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
