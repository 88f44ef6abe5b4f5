import type { Request, RequestHandler } from 'express';
import { forbidden, unauthorized } from '../errors';
import { canSeeOrder, type Principal, type Role } from './principal';
import type { TokenVerifier } from './tokens';

type Authentication = { principal: Principal } | { failure: string };

const authentications = new WeakMap<Request, Authentication>();

const BEARER = /^Bearer\s+([A-Za-z0-9_.~+/-]+=*)\s*$/i;

/**
 * Reads the bearer token of every request, if any, without refusing anything: public routes
 * (health, metrics, docs, tracking pages) ignore it, and `requireRole` turns a missing or invalid
 * token into 401 on the routes that need one.
 */
export function authenticate(verify: TokenVerifier): RequestHandler {
  return async (req, _res, next) => {
    const header = req.header('authorization');
    if (header === undefined) {
      next();
      return;
    }
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) {
      authentications.set(req, { failure: 'the Authorization header must be "Bearer <token>"' });
      next();
      return;
    }
    try {
      authentications.set(req, { principal: await verify(token) });
    } catch {
      // Why a token failed (expired, bad signature, wrong audience) is not the caller's business.
      authentications.set(req, { failure: 'the bearer token is invalid or expired' });
    }
    next();
  };
}

/** The verified caller, if the request carried a valid token. */
export function principalOf(req: Request): Principal | undefined {
  const authentication = authentications.get(req);
  return authentication && 'principal' in authentication ? authentication.principal : undefined;
}

/** The caller, or a 401 naming why there is none. */
export function requirePrincipal(req: Request): Principal {
  const authentication = authentications.get(req);
  if (authentication && 'principal' in authentication) return authentication.principal;
  throw unauthorized(authentication?.failure ?? 'a bearer token is required');
}

/** 401 without a valid token, 403 for a role not listed; admin may do everything. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const principal = requirePrincipal(req);
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw forbidden(`role ${principal.role} may not ${req.method} ${req.baseUrl}${req.path}`);
    }
    next();
  };
}

/**
 * Whether the request's bearer token may read the order of `orderCustomerId`: for routes that
 * also accept another credential (the tracking token), so they can try this first.
 */
export function tokenCanSeeOrder(req: Request, orderCustomerId: string): boolean {
  const principal = principalOf(req);
  return principal !== undefined && canSeeOrder(principal, orderCustomerId);
}
