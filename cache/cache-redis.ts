import type Redis from 'ioredis';
import type { Logger } from '../lib/logger';
import type { CacheSettings } from './cache-settings';
import { withTimeout } from './redis-call';
import type { LocalCacheCounters } from './stats';

/**
 * The cache's Redis client with what every call to it needs: the settings, a time limit per call
 * (a slow Redis counts as a down one) and the accounting of failures, which the callers answer by
 * falling back to the database.
 */
export class CacheRedis {
  readonly local: LocalCacheCounters = {
    fallbacks: 0,
    redisErrors: 0,
    sharedLoads: 0,
    lockWaits: 0,
    lockWaitHits: 0,
    lockWaitTimeouts: 0,
  };
  private lastWarnAt = 0;

  constructor(
    readonly client: Redis,
    readonly settings: CacheSettings,
    private readonly logger?: Logger,
  ) {}

  call<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.settings.opTimeoutMs);
  }

  failed(operation: string, error: unknown): void {
    this.local.redisErrors += 1;
    const now = Date.now();
    // One line per 10 s at most: with Redis down every request would otherwise log.
    if (now - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = now;
    this.logger?.warn(
      { err: error, operation, redisErrors: this.local.redisErrors },
      'cache: redis unavailable, serving from the database',
    );
  }
}
