/**
 * Bearer authentication and roles (api/auth/) through supertest against createApp with the stack's
 * Postgres, Redis and Temporal: who may call what, a customer's view limited to their own orders,
 * tokens refused for every reason a token can be wrong, RS256 through a JWKS URL, and the
 * development tokens `trackops token` prints.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { createApp } from '../../api/app';
import { tokenVerifier } from '../../api/auth/tokens';
import type { AppConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { authHeader, tokenFor } from '../support/auth';
import { createPendingOrder, createTestItem, testRunId } from '../support/db';
import { closeStackClients, createStackClients, testAddress, type ErrorBody } from '../support/orders-e2e';
import { stackConfig } from '../support/stack-env';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';

type SigningKey = Parameters<SignJWT['sign']>[0];

const RUN = testRunId('authapi');
const QUEUE = `orders-authtest-${RUN}`;
const config: AppConfig = { ...stackConfig, TEMPORAL_TASK_QUEUE: QUEUE, LOG_LEVEL: 'silent' };
const PRODUCT = `${RUN}-P`;
const ALICE = `${RUN}-alice`;
const BOB = `${RUN}-bob`;

const stack = createStackClients(4);
const app = createApp({ config, logger: createLogger('auth-test', 'silent'), ...stack });
let worker: WorkerProcess | undefined;
let aliceOrderId: string;

const as = (role: Parameters<typeof authHeader>[0], customerId?: string) =>
  authHeader(role, customerId ? { customerId } : {});

beforeAll(async () => {
  worker = await startWorkerProcess({ taskQueue: QUEUE, label: 'auth-api-worker' });
  await createTestItem(stack.inventoryDb, PRODUCT, 100, '5.00');
  aliceOrderId = (await createPendingOrder(stack, ALICE, [{ productId: PRODUCT, quantity: 1 }])).id;
}, 150_000);

afterAll(async () => {
  if (worker) await stopWorkerProcess(worker, 5_000);
  await closeStackClients(stack, RUN);
}, 60_000);

function expectError(response: request.Response, status: number) {
  const body = response.body as ErrorBody;
  expect(response.status).toBe(status);
  expect(body.status).toBe(status);
  expect(typeof body.path).toBe('string');
  expect(typeof body.message).toBe('string');
  expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
  expect(JSON.stringify(body)).not.toMatch(/at .+\.ts:\d+/);
}

describe('without a valid token', () => {
  it.each([
    ['GET', '/api/orders'],
    ['POST', '/api/orders'],
    ['PUT', `/api/orders/some-id/status`],
    ['GET', '/api/inventory/items'],
    ['POST', '/api/carrier/events'],
    ['GET', '/api/dlq'],
    ['POST', '/api/events/process-all'],
    ['GET', '/api/cache/stats'],
  ])('%s %s is 401 with a JSON error and a Bearer challenge', async (method, path) => {
    const response = await request(app)[method.toLowerCase() as 'get' | 'post' | 'put'](path).send({});
    expectError(response, 401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
    JSON.stringify({
      sub: 'x',
      role: 'admin',
      iss: stackConfig.AUTH_JWT_ISSUER,
      aud: stackConfig.AUTH_JWT_AUDIENCE,
      exp: now + 60,
    }),
  ).toString('base64url')}.`;
  it.each([
    ['an expired token', `Bearer ${tokenFor('operator', { expiresInSeconds: -60 })}`],
    [
      'a token signed with another key',
      `Bearer ${tokenFor('operator', { secret: 'another-key-another-key-another-key!' })}`,
    ],
    ['a token for another audience', `Bearer ${tokenFor('operator', { audience: 'someone-else' })}`],
    ['an unsigned (alg none) token', `Bearer ${unsigned}`],
    ['a customer token without a customer', `Bearer ${tokenFor('customer')}`],
    ['a header that is not Bearer', `Basic ${Buffer.from('operator:secret').toString('base64')}`],
    ['garbage', 'Bearer not.a.jwt'],
  ])('%s is 401', async (_what, authorization) => {
    const response = await request(app).get('/api/orders').set('authorization', authorization);
    expectError(response, 401);
  });

  it('leaves the public routes open', async () => {
    await request(app).get('/health').expect(200);
    await request(app).get('/health').set('authorization', 'Bearer garbage').expect(200);
  });
});

describe('roles', () => {
  it.each([
    ['carrier', 'GET', '/api/orders'],
    ['carrier', 'PUT', `/api/orders/ORDERID/status`],
    ['customer', 'PUT', `/api/orders/ORDERID/status`],
    ['customer', 'POST', '/api/inventory/items'],
    ['customer', 'GET', '/api/inventory/reservations'],
    ['customer', 'POST', '/api/carrier/events'],
    ['customer', 'GET', '/api/dlq'],
    ['customer', 'GET', '/api/events/stats'],
    ['carrier', 'POST', '/api/events/process-all'],
    ['operator', 'POST', '/api/carrier/events'],
  ] as const)('%s may not %s %s (403)', async (role, method, path) => {
    const verb = method.toLowerCase() as 'get' | 'post' | 'put';
    const agent = request(app);
    const headers = as(role, role === 'customer' ? ALICE : undefined);
    const response = await agent[verb](path.replace('ORDERID', aliceOrderId))
      .set(headers)
      .send({ newStatus: 'SHIPPED' });
    expectError(response, 403);
  });

  it('lets an admin do what an operator and a carrier may', async () => {
    await request(app).get('/api/cache/stats').set(as('admin')).expect(200);
    await request(app).get(`/api/orders/${aliceOrderId}`).set(as('admin')).expect(200);
    const report = await request(app).post('/api/carrier/events').set(as('admin')).send({});
    expect(report.status).toBe(400);
  });

  it('lets every signed-in role read the catalogue', async () => {
    for (const headers of [as('customer', ALICE), as('carrier'), as('operator')]) {
      await request(app).get(`/api/inventory/items/${PRODUCT}`).set(headers).expect(200);
    }
  });
});

describe('a customer', () => {
  it('reads their own order, its items and its listing', async () => {
    const own = await request(app).get(`/api/orders/${aliceOrderId}`).set(as('customer', ALICE)).expect(200);
    expect(own.body).toMatchObject({ id: aliceOrderId, customerId: ALICE });
    await request(app).get(`/api/orders/${aliceOrderId}/items`).set(as('customer', ALICE)).expect(200);
  });

  it("gets 404 for another customer's order, exactly as for a missing one", async () => {
    for (const path of ['', '/items', '/saga']) {
      const response = await request(app).get(`/api/orders/${aliceOrderId}${path}`).set(as('customer', BOB));
      expectError(response, 404);
      expect((response.body as ErrorBody).message).toBe(`order ${aliceOrderId} not found`);
    }
    expectError(await request(app).delete(`/api/orders/${aliceOrderId}`).set(as('customer', BOB)), 404);
    const order = await stack.ordersDb.order.findUniqueOrThrow({ where: { id: aliceOrderId } });
    expect(order.status).toBe('PENDING');
  });

  it('lists only their own orders, whatever customerId the query names', async () => {
    const mine = await request(app)
      .get('/api/orders')
      .query({ customerId: ALICE })
      .set(as('customer', BOB))
      .expect(200);
    expect(mine.body).toMatchObject({ totalElements: 0, content: [] });
    const alice = await request(app).get('/api/orders').set(as('customer', ALICE)).expect(200);
    const ids = (alice.body as { content: { id: string; customerId: string }[] }).content;
    expect(ids.map((o) => o.id)).toContain(aliceOrderId);
    expect(new Set(ids.map((o) => o.customerId))).toEqual(new Set([ALICE]));
  });

  it('places an order for the customer named by the token, not the body', async () => {
    const placed = await request(app)
      .post('/api/orders')
      .set(as('customer', BOB))
      .set('Idempotency-Key', `${RUN}-bob-1`)
      .send({ customerId: ALICE, items: [{ productId: PRODUCT, quantity: 1 }], address: testAddress() })
      .expect(201);
    expect(placed.body).toMatchObject({ customerId: BOB });
    const row = await stack.ordersDb.order.findUniqueOrThrow({
      where: { id: (placed.body as { id: string }).id },
    });
    expect(row.customerId).toBe(BOB);
    // Without a customerId in the body at all, too.
    const bare = await request(app)
      .post('/api/orders')
      .set(as('customer', BOB))
      .send({ items: [{ productId: PRODUCT, quantity: 1 }], address: testAddress() })
      .expect(201);
    expect(bare.body).toMatchObject({ customerId: BOB });
  });
});

describe('RS256 through a JWKS URL', () => {
  let server: http.Server;
  let jwksUrl: string;
  let privateKey: SigningKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const rs256 = (claims: Record<string, unknown>, key: SigningKey = privateKey, alg = 'RS256') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid: 'test-key' })
      .setSubject('idp-user-1')
      .setIssuer(config.AUTH_JWT_ISSUER)
      .setAudience(config.AUTH_JWT_AUDIENCE)
      .setExpirationTime('5m')
      .sign(key);

  it("accepts the identity provider's RS256 tokens and refuses HS256 ones, even with the local key", async () => {
    const jwksApp = createApp({
      config: { ...config, AUTH_JWKS_URL: jwksUrl },
      logger: createLogger('auth-test', 'silent'),
      ...stack,
    });
    const good = await rs256({ role: 'operator' });
    await request(jwksApp).get('/api/cache/stats').set('authorization', `Bearer ${good}`).expect(200);
    const local = tokenFor('operator');
    expectError(await request(jwksApp).get('/api/cache/stats').set('authorization', `Bearer ${local}`), 401);
    const verify = tokenVerifier({ ...config, AUTH_JWKS_URL: jwksUrl });
    await expect(verify(good)).resolves.toEqual({ subject: 'idp-user-1', role: 'operator' });
  });
});

describe('trackops token', () => {
  const run = promisify(execFile);
  it('prints a token the API accepts, for the role and customer asked', async () => {
    const { stdout } = await run(
      'npx',
      ['tsx', 'cli/main.ts', 'token', '--role', 'customer', '--customer', ALICE],
      {
        cwd: `${__dirname}/../..`,
        env: { ...process.env },
      },
    );
    const token = stdout.trim();
    await expect(tokenVerifier(config)(token)).resolves.toMatchObject({
      role: 'customer',
      customerId: ALICE,
    });
    await request(app).get(`/api/orders/${aliceOrderId}`).set('authorization', `Bearer ${token}`).expect(200);
  }, 60_000);

  it('refuses a customer token without --customer', async () => {
    await expect(
      run('npx', ['tsx', 'cli/main.ts', 'token', '--role', 'customer'], { cwd: `${__dirname}/../..` }),
    ).rejects.toThrow(/--customer/);
  }, 60_000);
});
