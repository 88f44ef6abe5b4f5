import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The per-order tracking token: HMAC-SHA256 of the order id under TRACKING_TOKEN_SECRET, base64url.
 * It is derived rather than stored, so any API instance can check it, it names exactly one order,
 * and it cannot be guessed without the secret. It only ever grants reading that order's progress.
 */
export function trackingToken(secret: string, orderId: string): string {
  return createHmac('sha256', secret).update(`order-tracking:${orderId}`).digest('base64url');
}

export function isTrackingTokenFor(secret: string, orderId: string, candidate: unknown): boolean {
  if (typeof candidate !== 'string' || candidate.length === 0) return false;
  const expected = Buffer.from(trackingToken(secret, orderId));
  const given = Buffer.from(candidate);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
