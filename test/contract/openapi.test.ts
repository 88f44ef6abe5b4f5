/**
 * The OpenAPI document against the app itself (createApp with the stack's real clients): every
 * route is documented and every documented operation exists, the document is served and valid
 * JSON Schema 2020-12 throughout, the docs page and its assets come from this server, and each
 * operation's declared security is what its route guard does: 401 without a token, 403 for a role
 * it does not list, with bodies that match the documented error schema.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { ApiDependencies } from '../../api/dependencies';
import { ROLES } from '../../api/auth/principal';
import { openApiDocument } from '../../api/openapi/document';
import { createLogger } from '../../lib/logger';
import { authHeader } from '../support/auth';
import { closeStackClients, createStackClients } from '../support/orders-e2e';
import { testRunId } from '../support/db';
import { stackConfig } from '../support/stack-env';
import { appRoutes } from './app-routes';

const RUN = testRunId('openapi');
const stack = createStackClients(4);
const deps: ApiDependencies = {
  config: { ...stackConfig, LOG_LEVEL: 'silent' },
  logger: createLogger('openapi-test', 'silent'),
  ...stack,
};
const app = createApp(deps);
const document = openApiDocument();

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;
const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  METHODS.flatMap((method) => {
    const operation = (item as Record<string, Operation | undefined>)[method];
    return operation ? [{ method, path, operation }] : [];
  }),
);

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'doc', components: document.components }, 'doc');
const refsToDoc = (schema: unknown): unknown =>
  JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"doc#/components/'));

/** Validates a body against the documented schema of `status` for the operation. */
function expectDocumented(operation: Operation, status: number, body: unknown) {
  const response = operation.responses[String(status)];
  expect(response).toBeDefined();
  const schema = response?.content?.['application/json']?.schema;
  expect(schema).toBeDefined();
  const validate = ajv.compile(refsToDoc(schema) as object);
  if (!validate(body))
    throw new Error(`${status} body outside its schema: ${ajv.errorsText(validate.errors)}`);
}

/** A concrete URL for a documented path: ids that exist nowhere, in their documented form. */
const concrete = (path: string) =>
  path.replace('{productId}', `${RUN}-none`).replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');

afterAll(async () => {
  await closeStackClients(stack, RUN);
});

describe('the OpenAPI document', () => {
  it('documents every route of the app, and nothing the app does not route', () => {
    const routed = new Set(appRoutes(app).map((route) => `${route.method.toUpperCase()} ${route.path}`));
    const documented = new Set(operations.map((op) => `${op.method.toUpperCase()} ${op.path}`));
    expect([...routed].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !routed.has(route))).toEqual([]);
    expect(routed.size).toBeGreaterThan(30);
  });

  it('is OpenAPI 3.1 with valid JSON Schema 2020-12 everywhere, served at /api/openapi.json', async () => {
    const served = await request(app).get('/api/openapi.json').expect(200).expect('content-type', /json/);
    expect(served.body).toEqual(JSON.parse(JSON.stringify(document)));
    expect(document.openapi).toBe('3.1.0');
    for (const { operation } of operations) {
      for (const response of Object.values(operation.responses)) {
        const schema = response.content?.['application/json']?.schema;
        if (schema) expect(() => ajv.compile(refsToDoc(schema) as object)).not.toThrow();
      }
    }
  });

  it('declares 429 on every rate-limited operation, with the body a limited app answers', async () => {
    const limitedOps = operations.filter(
      (op) => op.path.startsWith('/api/') && op.path !== '/api/openapi.json',
    );
    expect(limitedOps.filter((op) => !op.operation.responses['429']).map((op) => op.path)).toEqual([]);
    expect(operations.find((op) => op.path === '/health/live')?.operation.responses['429']).toBeUndefined();

    const limitedApp = createApp({
      ...deps,
      config: { ...deps.config, RATE_LIMIT_MAX: 1, RATE_LIMIT_WINDOW: '1m' },
    });
    const customer = authHeader('customer', { customerId: `${RUN}-limited` });
    const list = operations.find((op) => op.method === 'get' && op.path === '/api/orders')!;
    await request(limitedApp).get('/api/orders').set(customer).expect(200);
    const refused = await request(limitedApp).get('/api/orders').set(customer).expect(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expectDocumented(list.operation, 429, refused.body);
  });

  it('tells clients to send Idempotency-Key on POST /api/orders', () => {
    const create = operations.find((op) => op.method === 'post' && op.path === '/api/orders');
    expect(JSON.stringify(create?.operation)).toMatch(/Clients should send an `Idempotency-Key`/);
  });

  it('serves the docs page and its assets itself (no CDN)', async () => {
    await request(app).get('/docs').expect(301).expect('location', '/docs/');
    const page = await request(app).get('/docs/').expect(200).expect('content-type', /html/);
    const assets = [...page.text.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(
      expect.arrayContaining(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-init.js']),
    );
    expect(page.text).not.toMatch(/(?:src|href)=["']https?:/);
    for (const asset of assets) await request(app).get(`/docs/${asset}`).expect(200);
    const init = await request(app).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('/api/openapi.json');
  });

  describe('declared security is what the route guards do', () => {
    const guarded = operations.filter(
      (op) =>
        op.operation.security?.some((s) => 'bearerAuth' in s) &&
        !op.operation.security.some((s) => 'trackingToken' in s),
    );

    it.each(guarded.map((op) => [op.method.toUpperCase(), op.path, op] as const))(
      '%s %s: 401 without a token, 403 for each role it does not list',
      async (_method, path, op) => {
        const url = concrete(path);
        const none = await request(app)[op.method](url).send({});
        expect(none.status).toBe(401);
        expectDocumented(op.operation, 401, none.body);
        const admitted = op.operation.security?.flatMap((s) => s.bearerAuth ?? []) ?? [];
        const refused = ROLES.filter((role) => !admitted.includes(role));
        const client = request(app);
        for (const role of refused) {
          const answer = await client[op.method](url)
            .set(authHeader(role, role === 'customer' ? { customerId: `${RUN}-c` } : {}))
            .send({});
          expect(answer.status).toBe(403);
          expectDocumented(op.operation, 403, answer.body);
        }
        expect(admitted).toContain('admin');
      },
    );
  });
});
