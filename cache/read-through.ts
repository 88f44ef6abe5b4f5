import { randomUUID } from 'node:crypto';
import type { CacheRedis } from './cache-redis';
import { writeEntry } from './entry-write';
import { LOCK_PREFIX, lockKeyOf } from './keys';
import { GET_ENTRY, GET_PAGE, RELEASE_LOCK, SET_PAGE } from './lua';
import { parseJson, sleep } from './redis-call';
import type { CacheEntry } from './stats';

/*
 * A read through the cache. A hit is one round trip. A miss takes the key's load lock in the same
 * round trip; the holder loads and stores (releasing the lock in the store's round trip), other
 * processes poll briefly for the holder's value, then load from the database themselves. Redis
 * being down or slow never fails a read: the loader answers it, counted in `fallbacks`.
 */

/** The cached value of `key`, or the loader's (stored on the way); undefined: the loader found none. */
export async function readEntry<T>(
  redis: CacheRedis,
  key: string,
  load: () => Promise<CacheEntry<T> | undefined>,
): Promise<T | undefined> {
  const { settings } = redis;
  const token = randomUUID();
  const lockKey = lockKeyOf(key);
  let reply: unknown[];
  try {
    reply = (await redis.call(
      GET_ENTRY.run(redis.client, [key, settings.statsKey, lockKey], ['1', token, settings.lockTtlMs]),
    )) as unknown[];
  } catch (error) {
    redis.failed('get', error);
    redis.local.fallbacks += 1;
    return (await load())?.value;
  }
  if (reply[0] === 1) {
    const parsed = parseJson<T>(reply[2]);
    if (parsed.ok) return parsed.value;
  }
  const locked = reply[0] === 0 && reply[1] === 1;
  if (!locked) {
    const waited = await waitForHolder(redis, lockKey, () => redis.client.hget(key, 'd'));
    if (waited !== undefined) {
      const parsed = parseJson<T>(waited);
      if (parsed.ok) return parsed.value;
    }
  }
  let entry: CacheEntry<T> | undefined;
  try {
    entry = await load();
  } catch (error) {
    if (locked) await releaseQuietly(redis, lockKey, token);
    throw error;
  }
  if (!entry) {
    if (locked) await releaseQuietly(redis, lockKey, token);
    return undefined;
  }
  try {
    await writeEntry(redis, key, entry, { kind: 'fills', lockToken: locked ? token : '' });
  } catch (error) {
    redis.failed('fill', error);
  }
  return entry.value;
}

/**
 * A generational page: cached under the current value of the generation counter at
 * `<prefix><generation>:<queryHash>`, so bumping the counter retires every page at once.
 */
export async function readPage<T>(
  redis: CacheRedis,
  generationKey: string,
  prefix: string,
  queryHash: string,
  load: () => Promise<T>,
): Promise<T> {
  const { settings } = redis;
  const token = randomUUID();
  let reply: unknown[];
  try {
    reply = (await redis.call(
      GET_PAGE.run(
        redis.client,
        [generationKey, settings.statsKey],
        [prefix, queryHash, '1', token, settings.lockTtlMs, LOCK_PREFIX],
      ),
    )) as unknown[];
  } catch (error) {
    redis.failed('get page', error);
    redis.local.fallbacks += 1;
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
    const waited = await waitForHolder(redis, lockKey, () => redis.client.get(pageKey));
    if (waited !== undefined) {
      const parsed = parseJson<T>(waited);
      if (parsed.ok) return parsed.value;
    }
  }
  let page: T;
  try {
    page = await load();
  } catch (error) {
    if (locked) await releaseQuietly(redis, lockKey, token);
    throw error;
  }
  try {
    await redis.call(
      SET_PAGE.run(
        redis.client,
        [generationKey, pageKey, settings.statsKey, lockKey],
        [generation, JSON.stringify(page), settings.listTtlMs, locked ? token : ''],
      ),
    );
  } catch (error) {
    redis.failed('fill page', error);
  }
  return page;
}

/**
 * Another process holds the load lock: poll for the value it will store. Gives up (undefined)
 * when the wait is over, or as soon as the lock is gone without a value (the holder found
 * nothing, or its write was refused), and the caller loads from the database itself.
 */
async function waitForHolder(
  redis: CacheRedis,
  lockKey: string,
  read: () => Promise<string | null>,
): Promise<string | undefined> {
  redis.local.lockWaits += 1;
  const deadline = Date.now() + redis.settings.lockWaitMs;
  while (Date.now() < deadline) {
    await sleep(redis.settings.pollIntervalMs);
    try {
      const [value, lockHeld] = await redis.call(Promise.all([read(), redis.client.exists(lockKey)]));
      if (value !== null) {
        redis.local.lockWaitHits += 1;
        return value;
      }
      if (lockHeld === 0) break;
    } catch (error) {
      redis.failed('wait for holder', error);
      break;
    }
  }
  redis.local.lockWaitTimeouts += 1;
  return undefined;
}

async function releaseQuietly(redis: CacheRedis, lockKey: string, token: string): Promise<void> {
  try {
    await redis.call(RELEASE_LOCK.run(redis.client, [lockKey], [token]));
  } catch (error) {
    redis.failed('release lock', error);
  }
}
