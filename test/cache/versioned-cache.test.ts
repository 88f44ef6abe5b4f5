/**
 * The versioned cache against the stack's real Redis (`bin/trackops stack up redis`). Every key
 * and the stats hash carry this run's prefix, so parallel suites and the running API are not
 * disturbed; afterAll deletes them.
 */
import { createServer, type Server } from 'node:net';
import Redis from 'ioredis';
import { VersionedCache, type CacheEntry } from '../../cache/versioned-cache';
import { stackConfig, uniqueSuffix } from '../support/stack-env';

const RUN = `cache:test:${uniqueSuffix()}`;
const STATS = `${RUN}:stats`;
let seq = 0;
const newKey = (label: string) => `${RUN}:${label}:${++seq}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let redis: Redis;
let cache: VersionedCache;

const makeCache = (client: Redis, overrides: Partial<ConstructorParameters<typeof VersionedCache>[1]> = {}) =>
  new VersionedCache(client, { ttlSeconds: 60, listTtlSeconds: 10, statsKey: STATS, ...overrides });

beforeAll(() => {
  redis = new Redis(stackConfig.REDIS_URL, { maxRetriesPerRequest: 1 });
  cache = makeCache(redis);
});

afterAll(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${RUN}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
});

/** A loader returning `entry` after `delayMs`, counting its calls. */
function loader<T>(entry: CacheEntry<T> | undefined, delayMs = 0) {
  const calls = { count: 0 };
  const load = async () => {
    calls.count += 1;
    if (delayMs > 0) await sleep(delayMs);
    return entry;
  };
  return { load, calls };
}

const stats = () => cache.stats();

describe('versions', () => {
  it('stores a newer version and refuses an older one', async () => {
    const key = newKey('order');
    expect(await cache.set(key, { version: 5, value: { status: 'CONFIRMED' } })).toBe('stored');
    const before = await stats();
    expect(await cache.set(key, { version: 3, value: { status: 'PENDING' } })).toBe('stale');
    expect(await cache.set(key, { version: 5, value: { status: 'OTHER' } })).toBe('unchanged');
    expect(await cache.peek(key)).toMatchObject({ version: 5, value: { status: 'CONFIRMED' } });
    expect((await stats()).staleWritesRejected).toBe(before.staleWritesRejected + 1);

    expect(await cache.set(key, { version: 6, value: { status: 'SHIPPED' } })).toBe('stored');
    expect(await cache.peek(key)).toMatchObject({ version: 6, value: { status: 'SHIPPED' } });
  });

  it('fences out a slow reader that loaded a version before an invalidation', async () => {
    const key = newKey('order');
    await cache.set(key, { version: 4, value: { v: 4 } });
    // The reader misses (nothing newer than 4 is cached once 4 is dropped), loads version 5 slowly...
    await cache.invalidate(key, 5);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = cache.get(key, async () => {
      await gate;
      return { version: 5, value: { v: 5 } };
    });
    await sleep(50);
    // ...meanwhile the row moved to 6 and the CDC consumer invalidated with 6.
    await cache.invalidate(key, 6);
    const before = await stats();
    release();
    // The reader still answers its own request with what it loaded,
    expect(await slow).toEqual({ v: 5 });
    // but cannot put version 5 back.
    const after = await cache.peek(key);
    expect(after).toMatchObject({ fence: 6 });
    expect(after?.value).toBeUndefined();
    expect((await stats()).staleWritesRejected).toBe(before.staleWritesRejected + 1);
    // Version 6 itself (the consumer's warm) is accepted.
    expect(await cache.set(key, { version: 6, value: { v: 6 } }, { kind: 'warm' })).toBe('stored');
    expect(await cache.peek(key)).toMatchObject({ version: 6, value: { v: 6 }, fence: 6 });
  });

  it('keeps the fence without any value: an old row cannot be cached after an invalidation', async () => {
    const key = newKey('item');
    await cache.invalidate(key, 3);
    expect(await cache.set(key, { version: 2, value: 'old' })).toBe('stale');
    expect(await cache.peek(key)).toMatchObject({ fence: 3 });
    expect(await cache.set(key, { version: 3, value: 'current' })).toBe('stored');
  });

  it('an invalidation older than the cached value (a replayed event) changes nothing', async () => {
    const key = newKey('order');
    await cache.set(key, { version: 7, value: 'seven' });
    expect(await cache.invalidate(key, 4)).toEqual({ dropped: false, cachedVersion: 7 });
    expect(await cache.peek(key)).toMatchObject({ version: 7, value: 'seven' });
    expect(await cache.invalidate(key, 7)).toEqual({ dropped: false, cachedVersion: 7 });
    expect(await cache.invalidate(key, 8)).toEqual({ dropped: true });
    expect((await cache.peek(key))?.value).toBeUndefined();
  });

  it('write-through with raiseFence fences out what was loaded before the write', async () => {
    const key = newKey('item');
    await cache.set(key, { version: 9, value: 'nine' }, { raiseFence: true });
    await cache.invalidate(key, 10); // drops 9, fence 10
    expect(await cache.set(key, { version: 9, value: 'nine again' })).toBe('stale');
  });

  it('counts an invalidation and a warm, and bumps the generation in the same step', async () => {
    const key = newKey('order');
    const gen = `${RUN}:generation`;
    const before = await stats();
    await cache.invalidate(key, 1, { generationKey: gen });
    await cache.invalidate(key, 2, { generationKey: gen });
    await cache.set(key, { version: 2, value: 'two' }, { kind: 'warm' });
    const after = await stats();
    expect(after.invalidations).toBe(before.invalidations + 2);
    expect(after.warms).toBe(before.warms + 1);
    expect(await redis.get(gen)).toBe('2');
  });

  it('announces a warm on the cache:warmed channel', async () => {
    const key = newKey('order');
    const subscriber = new Redis(stackConfig.REDIS_URL);
    try {
      await subscriber.subscribe('cache:warmed');
      const message = new Promise<string>((resolve) =>
        subscriber.on('message', (_channel: string, text: string) => {
          if (text.startsWith(key)) resolve(text);
        }),
      );
      const before = Date.now();
      await cache.set(key, { version: 12, value: 'x' }, { kind: 'warm' });
      const [name, version, at] = (await message).split(' ');
      expect([name, version]).toEqual([key, '12']);
      // Redis's clock, same host: within the call's window give or take a little.
      expect(Number(at)).toBeGreaterThanOrEqual(before - 50);
      expect(Number(at)).toBeLessThanOrEqual(Date.now() + 50);
    } finally {
      subscriber.disconnect();
    }
  });
});

describe('TTL', () => {
  it('sets the entry TTL on a store and the fence TTL on an invalidation', async () => {
    const shortFence = makeCache(redis, { ttlSeconds: 60, fenceTtlSeconds: 20 });
    const key = newKey('order');
    await shortFence.set(key, { version: 1, value: 'one' });
    const stored = await shortFence.peek(key);
    expect(stored?.ttlMs).toBeGreaterThan(55_000);
    expect(stored?.ttlMs).toBeLessThanOrEqual(60_000);
    await shortFence.invalidate(key, 2);
    const fenced = await shortFence.peek(key);
    expect(fenced?.ttlMs).toBeGreaterThan(15_000);
    expect(fenced?.ttlMs).toBeLessThanOrEqual(20_000);
  });

  it('a filled entry expires after its TTL', async () => {
    const oneSecond = makeCache(redis, { ttlSeconds: 1 });
    const key = newKey('order');
    const { load, calls } = loader({ version: 1, value: 'v1' });
    await oneSecond.get(key, load);
    await oneSecond.get(key, load);
    expect(calls.count).toBe(1);
    await sleep(1200);
    await oneSecond.get(key, load);
    expect(calls.count).toBe(2);
  });
});

describe('read-through', () => {
  it('counts a miss, then a hit, and returns the same value both times', async () => {
    const key = newKey('order');
    const { load, calls } = loader({ version: 0, value: { id: 'o-1', items: [1, 2] } });
    const before = await stats();
    expect(await cache.get(key, load)).toEqual({ id: 'o-1', items: [1, 2] });
    expect(await cache.get(key, load)).toEqual({ id: 'o-1', items: [1, 2] });
    expect(calls.count).toBe(1);
    const after = await stats();
    expect(after.misses).toBe(before.misses + 1);
    expect(after.hits).toBe(before.hits + 1);
    expect(after.fills).toBe(before.fills + 1);
    expect(after.hitRatio).toBeCloseTo(after.hits / (after.hits + after.misses), 3);
  });

  it('does not cache "not found"', async () => {
    const key = newKey('order');
    const { load, calls } = loader<string>(undefined);
    expect(await cache.get(key, load)).toBeUndefined();
    expect(await cache.get(key, load)).toBeUndefined();
    expect(calls.count).toBe(2);
    expect(await cache.peek(key)).toBeUndefined();
    // Not even the lock is left behind.
    expect(await redis.exists(`cache:lock:${key}`)).toBe(0);
  });

  it('a loader error reaches the caller and releases the lock', async () => {
    const key = newKey('order');
    await expect(
      cache.get(key, async () => {
        throw new Error('database down');
      }),
    ).rejects.toThrow('database down');
    expect(await redis.exists(`cache:lock:${key}`)).toBe(0);
  });
});

describe('stampede protection', () => {
  it('50 concurrent gets of a cold key in one process run the loader once', async () => {
    const key = newKey('hot');
    const { load, calls } = loader({ version: 3, value: 'hot value' }, 100);
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.get(key, load)));
    expect(calls.count).toBe(1);
    expect(new Set(results)).toEqual(new Set(['hot value']));
    expect(await cache.peek(key)).toMatchObject({ version: 3, value: 'hot value' });
  });

  it('across processes: the lock holder loads, the others wait for its value', async () => {
    const key = newKey('hot');
    // Two independent instances with their own connections: two processes as far as Redis knows.
    const otherRedis = new Redis(stackConfig.REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const a = makeCache(redis, { lockWaitMs: 2000 });
      const b = makeCache(otherRedis, { lockWaitMs: 2000 });
      const { load, calls } = loader({ version: 1, value: 'shared' }, 300);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).get(key, load)),
      );
      expect(calls.count).toBe(1);
      expect(results.every((r) => r === 'shared')).toBe(true);
      // Exactly one of the two instances waited on the other's lock, and found the value.
      expect(a.local.lockWaitHits + b.local.lockWaitHits).toBe(1);
      expect(a.local.sharedLoads + b.local.sharedLoads).toBe(48);
    } finally {
      otherRedis.disconnect();
    }
  });

  it('a waiter falls back to the database when the holder takes too long', async () => {
    const key = newKey('hot');
    const otherRedis = new Redis(stackConfig.REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const holder = makeCache(redis);
      const waiter = makeCache(otherRedis, { lockWaitMs: 100 });
      const slow = loader({ version: 1, value: 'slow' }, 600);
      const fast = loader({ version: 1, value: 'fast' });
      const held = holder.get(key, slow.load);
      await sleep(30);
      expect(await waiter.get(key, fast.load)).toBe('fast');
      expect(waiter.local.lockWaitTimeouts).toBe(1);
      expect(await held).toBe('slow');
      expect(slow.calls.count + fast.calls.count).toBe(2);
    } finally {
      otherRedis.disconnect();
    }
  });
});

describe('Redis unavailable', () => {
  it('falls back to the loader when Redis refuses connections, and counts it', async () => {
    // Nothing listens on port 1.
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    try {
      const offline = makeCache(down);
      const { load, calls } = loader({ version: 1, value: { id: 'o-9' } });
      expect(await offline.get('cache:order:o-9', load)).toEqual({ id: 'o-9' });
      expect(await offline.get('cache:order:o-9', load)).toEqual({ id: 'o-9' });
      expect(calls.count).toBe(2);
      expect(offline.local.fallbacks).toBe(2);
      expect(offline.local.redisErrors).toBeGreaterThanOrEqual(2);
      const page = await offline.getPage(`${RUN}:gen`, `${RUN}:list:`, 'h', async () => ({ content: [] }));
      expect(page).toEqual({ content: [] });
      expect(offline.local.fallbacks).toBe(3);
      // Writes in the API are wrapped in quietly(): they must not throw either.
      await expect(
        offline.quietly('write', () => offline.invalidate('cache:order:o-9', 2)),
      ).resolves.toBeUndefined();
      expect(await offline.stats()).toMatchObject({ redis: 'down', hits: 0, process: { fallbacks: 3 } });
    } finally {
      down.disconnect();
    }
  });

  it('falls back when Redis hangs (accepts the connection, never answers) within opTimeoutMs', async () => {
    const sockets: import('node:net').Socket[] = [];
    const server: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const hung = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, enableReadyCheck: false });
    hung.on('error', () => undefined);
    try {
      const offline = makeCache(hung, { opTimeoutMs: 100 });
      const { load } = loader({ version: 1, value: 'from db' });
      const started = Date.now();
      expect(await offline.get('cache:order:hung', load)).toBe('from db');
      expect(Date.now() - started).toBeLessThan(1000);
      expect(offline.local.fallbacks).toBe(1);
    } finally {
      hung.disconnect();
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a disabled cache (CACHE_ENABLED=false) only calls the loader', async () => {
    const disabled = makeCache(redis, { enabled: false });
    const key = newKey('order');
    const { load, calls } = loader({ version: 1, value: 'x' });
    await disabled.get(key, load);
    await disabled.get(key, load);
    expect(calls.count).toBe(2);
    expect(await cache.peek(key)).toBeUndefined();
  });
});

describe('generational pages', () => {
  it('caches a page until the generation moves', async () => {
    const gen = `${RUN}:pages:generation`;
    const prefix = `${RUN}:pages:list:`;
    let version = 1;
    const load = jest.fn(async () => ({ page: version }));
    expect(await cache.getPage(gen, prefix, 'q1', load)).toEqual({ page: 1 });
    version = 2;
    expect(await cache.getPage(gen, prefix, 'q1', load)).toEqual({ page: 1 });
    expect(load).toHaveBeenCalledTimes(1);
    await cache.bumpGeneration(gen);
    expect(await cache.getPage(gen, prefix, 'q1', load)).toEqual({ page: 2 });
    expect(load).toHaveBeenCalledTimes(2);
    const ttl = await redis.pttl(`${prefix}1:q1`);
    expect(ttl).toBeGreaterThan(8000);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });

  it('a page loaded before a change is not stored after it', async () => {
    const gen = `${RUN}:pages2:generation`;
    const prefix = `${RUN}:pages2:list:`;
    const before = await stats();
    const page = await cache.getPage(gen, prefix, 'q', async () => {
      await cache.bumpGeneration(gen); // an order changed while this page was being read
      return { stale: true };
    });
    expect(page).toEqual({ stale: true });
    expect(await redis.exists(`${prefix}0:q`, `${prefix}1:q`)).toBe(0);
    expect((await stats()).staleWritesRejected).toBe(before.staleWritesRejected + 1);
  });
});
