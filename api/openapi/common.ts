import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Role } from '../auth/principal';

/* What every part of the document shares: the error body, pages, security and the usual errors. */

export const BEARER_SCHEME = 'bearerAuth';
export const TRACKING_TOKEN_SCHEME = 'trackingToken';

const fieldErrorSchema = z.strictObject({
  field: z.string(),
  rejectedValue: z.unknown().optional(),
  message: z.string(),
});

/** The body of every error answer (api/errors.ts). */
export const errorBodySchema = z
  .strictObject({
    status: z.int().min(400).max(599),
    error: z.string(),
    message: z.string(),
    path: z.string(),
    timestamp: z.iso.datetime(),
    validationErrors: z.array(fieldErrorSchema).min(1).optional(),
  })
  .meta({ id: 'Error' });

/** Spring-style page of `item` (api/pagination.ts). */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    content: z.array(item),
    totalElements: z.int().min(0),
    totalPages: z.int().min(0),
    number: z.int().min(0),
    size: z.int().min(1),
    first: z.boolean(),
    last: z.boolean(),
  });

export const json = <T extends z.ZodType>(description: string, schema: T): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});

const ERROR_MEANINGS: Record<number, string> = {
  400: 'The request is invalid: `validationErrors` names each field, its value and the reason.',
  401: 'No bearer token, or one that is invalid or expired (`WWW-Authenticate: Bearer`).',
  403: "The token's role may not use this operation.",
  404: 'Not found (for a customer, also an order of another customer).',
  409: 'Conflicts with the current state.',
  413: 'The body is larger than the limit.',
  429:
    'Too many requests from this caller (token subject, or client address) in the window: retry after ' +
    '`Retry-After` seconds; `RateLimit` and `X-RateLimit-*` give the limit and its reset. Operators and admins are not limited.',
  503: 'A dependency is unavailable or busy; nothing was written and the request may be retried (`Retry-After`).',
};

/** Error answers, each with the error body; `overrides` gives an operation's own meaning of a status. */
export function errors(statuses: number[], overrides: Record<number, string> = {}) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      json(overrides[status] ?? ERROR_MEANINGS[status] ?? 'Error.', errorBodySchema),
    ]),
  );
}

/**
 * Bearer security for an operation with the roles its route guard admits (admin always may).
 * OpenAPI 3.1 allows role names in the requirement of a non-OAuth scheme.
 */
type SecurityRequirement = Record<string, string[]>;

export const bearer = (...roles: Role[]): SecurityRequirement[] => [{ [BEARER_SCHEME]: [...roles, 'admin'] }];

/** An order's tracking token (`?token=`) or a bearer token that may see the order. */
export const trackingOrBearer = (...roles: Role[]): SecurityRequirement[] => [
  { [TRACKING_TOKEN_SCHEME]: [] },
  { [BEARER_SCHEME]: [...roles, 'admin'] },
];

export function registerSecuritySchemes(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A JWT (HS256 with AUTH_JWT_SECRET locally, RS256 from AUTH_JWKS_URL in production) with the claims ' +
      '`sub`, `role` (customer, operator, carrier or admin) and, for a customer, `customerId`. ' +
      'Each operation lists the roles it admits; admin may use every operation. ' +
      'A local token: `trackops token --role operator` (or `--role customer --customer <id>`).',
  });
  registry.registerComponent('securitySchemes', TRACKING_TOKEN_SCHEME, {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description:
      "The order's tracking token, returned as `trackingToken` when the order is created: read-only, that order only.",
  });
}
