import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { AppConfig } from '../../lib/config';
import { principalFromClaims, type Principal, type Role } from './principal';

type AuthConfig = Pick<
  AppConfig,
  'AUTH_JWT_SECRET' | 'AUTH_JWKS_URL' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE'
>;

/** Checks a bearer token's signature, issuer, audience and expiry and returns its principal. */
export type TokenVerifier = (token: string) => Promise<Principal>;

const secretKey = (config: AuthConfig) => new TextEncoder().encode(config.AUTH_JWT_SECRET);

/**
 * RS256 against the identity provider's JWKS when AUTH_JWKS_URL is set (production), otherwise
 * HS256 with AUTH_JWT_SECRET. Only the one expected algorithm is accepted, so a token cannot pick
 * its own (no `none`, no HS256 signed with a public key).
 */
export function tokenVerifier(config: AuthConfig): TokenVerifier {
  const options = { issuer: config.AUTH_JWT_ISSUER, audience: config.AUTH_JWT_AUDIENCE };
  if (config.AUTH_JWKS_URL !== '') {
    const keySet = createRemoteJWKSet(new URL(config.AUTH_JWKS_URL));
    return async (token) =>
      principalFromClaims((await jwtVerify(token, keySet, { ...options, algorithms: ['RS256'] })).payload);
  }
  const key = secretKey(config);
  return async (token) =>
    principalFromClaims((await jwtVerify(token, key, { ...options, algorithms: ['HS256'] })).payload);
}

export interface LocalTokenRequest {
  role: Role;
  customerId?: string;
  subject?: string;
  /** A jose time span such as `12h` or `30m`. */
  expiresIn?: string;
}

/** A development token signed with AUTH_JWT_SECRET (`trackops token`). */
export async function mintLocalToken(config: AuthConfig, request: LocalTokenRequest): Promise<string> {
  if (request.role === 'customer' && !request.customerId)
    throw new Error('a customer token needs --customer');
  const subject =
    request.subject ?? (request.customerId ? `customer:${request.customerId}` : `dev-${request.role}`);
  const claims: JWTPayload = {
    role: request.role,
    ...(request.role === 'customer' ? { customerId: request.customerId } : {}),
  };
  // Validated as the verifier will read it, so a token that would be refused is never printed.
  principalFromClaims({ ...claims, sub: subject });
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(config.AUTH_JWT_ISSUER)
    .setAudience(config.AUTH_JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(request.expiresIn ?? '12h')
    .sign(secretKey(config));
}
