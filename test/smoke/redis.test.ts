import Redis from 'ioredis';
import { stackConfig, uniqueSuffix } from '../support/stack-env';

describe('smoke: Redis', () => {
  const redis = new Redis(stackConfig.REDIS_URL, { lazyConnect: true });

  afterAll(() => redis.quit());

  it('answers PING and keeps a value with a TTL', async () => {
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    const key = `smoke:${uniqueSuffix()}`;
    await redis.set(key, 'value', 'EX', 30);
    expect(await redis.get(key)).toBe('value');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
    await redis.del(key);
  });

  it('evicts only keys with a TTL, as the cache and the payment simulator ledger need', async () => {
    const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
    expect(policy[1]).toBe('volatile-lru');
  });
});
