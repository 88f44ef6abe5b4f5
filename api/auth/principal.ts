import { z } from 'zod';

export const ROLES = ['customer', 'operator', 'carrier', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified bearer token. */
export interface Principal {
  subject: string;
  role: Role;
  /** Set for (and only for) customers: the one customer whose orders they may see. */
  customerId?: string;
}

/** The claims TrackOps reads from a token; a customer's token must name its customer. */
export const principalClaimsSchema = z
  .object({
    sub: z.string().min(1),
    role: z.enum(ROLES),
    customerId: z.string().min(1).max(64).optional(),
  })
  .refine((claims) => claims.role !== 'customer' || claims.customerId !== undefined, {
    message: 'a customer token must carry customerId',
  });

export function principalFromClaims(claims: unknown): Principal {
  const { sub, role, customerId } = principalClaimsSchema.parse(claims);
  return { subject: sub, role, ...(role === 'customer' ? { customerId } : {}) };
}

/** Operators and admins see every order; a customer only their own. */
export function canSeeOrder(principal: Principal, orderCustomerId: string): boolean {
  if (principal.role === 'operator' || principal.role === 'admin') return true;
  return principal.role === 'customer' && principal.customerId === orderCustomerId;
}
