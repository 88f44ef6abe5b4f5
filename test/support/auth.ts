/**
 * Bearer tokens for tests, signed with the stack's AUTH_JWT_SECRET. Signed here by hand (HS256 is
 * one HMAC) because supertest chains are built synchronously and jose only signs asynchronously;
 * the API verifies them with jose, so a token this gets wrong fails every API suite.
 */
import { createHmac } from 'node:crypto';
import type { App } from 'supertest/types';
import request from 'supertest';
import type { Role } from '../../api/auth/principal';
import { stackConfig } from './stack-env';

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export interface TestTokenOptions {
  customerId?: string;
  subject?: string;
  /** Seconds from now; negative for an expired token. */
  expiresInSeconds?: number;
  secret?: string;
  audience?: string;
}

/** A signed token for `role` (a customer's names its customer). */
export function tokenFor(role: Role, options: TestTokenOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      sub: options.subject ?? (options.customerId ? `customer:${options.customerId}` : `test-${role}`),
      role,
      ...(options.customerId ? { customerId: options.customerId } : {}),
      iss: stackConfig.AUTH_JWT_ISSUER,
      aud: options.audience ?? stackConfig.AUTH_JWT_AUDIENCE,
      iat: now,
      exp: now + (options.expiresInSeconds ?? 3600),
    }),
  );
  const signature = createHmac('sha256', options.secret ?? stackConfig.AUTH_JWT_SECRET)
    .update(`${header}.${payload}`)
    .digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export const operatorToken = () => tokenFor('operator');

/** The Authorization header of a `role` token (operator unless told), for fetch and supertest. */
export const authHeader = (role: Role = 'operator', options: TestTokenOptions = {}) => ({
  authorization: `Bearer ${tokenFor(role, options)}`,
});

/** supertest's `request(app)`, with every request carrying a `role` token. */
export const requestAs =
  (role: Role, options: TestTokenOptions = {}) =>
  (app: App) =>
    request.agent(app).set(authHeader(role, options));

/** The role the stack's own tools act as on a route: carriers report shipments, operators do the rest. */
export const staffRoleFor = (method: string, path: string): Role =>
  method.toUpperCase() === 'POST' && path.startsWith('/api/carrier/events') ? 'carrier' : 'operator';

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

/** A drop-in for `request(app)` in suites that act as the staff: each request carries staffRoleFor's token. */
export function staffRequest(app: App) {
  const agent = request(app);
  const as = (method: Method) => (url: string) =>
    agent[method](url).set(authHeader(staffRoleFor(method, url)));
  return { get: as('get'), post: as('post'), put: as('put'), delete: as('delete'), patch: as('patch') };
}
