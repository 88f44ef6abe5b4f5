/**
 * The API's hardening through supertest against createApp with the stack's Redis and databases:
 * rate limits counted in Redis and shared by instances (headers, 429, Retry-After), helmet's
 * headers, CORS by configuration, bounded paging depth, and no upstream error text in answers.
 */
import { randomInt } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../api/app';
import { MAX_PAGE_OFFSET } from '../../api/pagination';
import { RATE_LIMIT_PREFIX } from '../../api/rate-limit';
import type { AppConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { authHeader } from '../support/auth';
import { testRunId } from '../support/db';
import { closeStackClients, createStackClients, type ErrorBody } from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('secapi');
const stack = createStackClients(2);
const appWith = (overrides: Partial<AppConfig> = {}) =>
  createApp({
    config: { ...stackConfig, LOG_LEVEL: 'silent', ...overrides },
    logger: createLogger('security-test', 'silent'),
    ...stack,
  });
const limited = { RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW: '1m' };

afterAll(async () => {
  const keys = await stack.redis.keys(`${RATE_LIMIT_PREFIX}*${RUN}*`);
  if (keys.length > 0) await stack.redis.del(...keys);
  await closeStackClients(stack, RUN);
});

describe('rate limits', () => {
  it('counts per token subject in Redis, across API instances, with the real reset, then 429', async () => {
    const [first, second] = [appWith(limited), appWith(limited)];
    const customer = authHeader('customer', { customerId: `${RUN}-c1` });
    const before = Date.now();
    const answers = [];
    for (const app of [first, second, first])
      answers.push(await request(app).get('/api/orders').set(customer));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
    const last = answers[2] as request.Response;
    expect(last.headers['x-ratelimit-limit']).toBe('3');
    expect(last.headers.ratelimit).toMatch(/^limit=3, remaining=0, reset=\d+$/);
    // The reset is when this subject's Redis counter expires, not a fresh window per request.
    const pttl = await stack.redis.pttl(`${RATE_LIMIT_PREFIX}sub:customer:${RUN}-c1`);
    expect(pttl).toBeGreaterThan(50_000);
    const resetAt = Number(last.headers['x-ratelimit-reset']) * 1000;
    expect(Math.abs(resetAt - (Date.now() + pttl))).toBeLessThan(2000);
    // Within one window of the first request (the header is rounded up to a whole second).
    expect(resetAt).toBeGreaterThan(before);
    expect(resetAt).toBeLessThanOrEqual(Date.now() + 60_000 + 1000);

    const refused = await request(second).get('/api/orders').set(customer);
    expect(refused.status).toBe(429);
    expect(refused.body as ErrorBody).toMatchObject({
      status: 429,
      error: 'Too Many Requests',
      path: '/api/orders',
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Another customer has a budget of their own; operators are not limited.
    await request(first)
      .get('/api/orders')
      .set(authHeader('customer', { customerId: `${RUN}-c2` }))
      .expect(200);
    for (let i = 0; i < 5; i += 1)
      await request(first).get('/api/cache/stats').set(authHeader('operator')).expect(200);
  });

  it('counts callers without a token by address', async () => {
    const app = appWith({ ...limited, RATE_LIMIT_MAX: 2 });
    // supertest's own address is shared with other suites: this run comes from an address of its own.
    app.set('trust proxy', true);
    const address = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await request(app).get('/api/orders').set('X-Forwarded-For', address)).status);
    expect(statuses).toEqual([401, 401, 429]);
    expect(await stack.redis.get(`${RATE_LIMIT_PREFIX}ip:${address}`)).toBe('3');
    await stack.redis.del(`${RATE_LIMIT_PREFIX}ip:${address}`);
  });
});

describe('headers', () => {
  it("sends helmet's headers and no x-powered-by", async () => {
    const response = await request(appWith()).get('/health').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('answers CORS only for the configured origins', async () => {
    const app = appWith({ CORS_ORIGINS: 'https://shop.example, https://ops.example' });
    const preflight = await request(app)
      .options('/api/orders')
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
    const stranger = await request(app).get('/health').set('Origin', 'https://evil.example');
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    const unconfigured = await request(appWith()).get('/health').set('Origin', 'https://shop.example');
    expect(unconfigured.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('requests', () => {
  it('bounds how deep a page may reach', async () => {
    const app = appWith();
    const deepest = MAX_PAGE_OFFSET / 100 - 1;
    await request(app).get('/api/orders').query({ page: deepest, size: 100 }).set(authHeader()).expect(200);
    for (const path of ['/api/orders', '/api/inventory/items', '/api/events/unprocessed']) {
      const response = await request(app)
        .get(path)
        .query({ page: deepest + 1, size: 100 })
        .set(authHeader());
      expect([path, response.status]).toEqual([path, 400]);
      expect((response.body as ErrorBody).validationErrors?.map((e) => e.field)).toEqual(['page']);
    }
  });

  it('parses JSON strictly: a bare string or a malformed body is a 400', async () => {
    const app = appWith();
    for (const payload of ['"just a string"', '{"items": [1,}']) {
      const response = await request(app)
        .post('/api/orders')
        .set(authHeader())
        .set('content-type', 'application/json')
        .send(payload);
      expect(response.status).toBe(400);
    }
  });

  it("never puts an upstream server's error text in an answer", async () => {
    const app = appWith({ KAFKA_BROKERS: '127.0.0.1:1' });
    const response = await request(app).get('/api/dlq').set(authHeader());
    expect(response.status).toBe(503);
    expect((response.body as ErrorBody).message).toBe('kafka unavailable');
    expect(JSON.stringify(response.body)).not.toMatch(/ECONNREFUSED|KafkaJS|127\.0\.0\.1:1|at .+:\d+/);
  }, 30_000);
});
