import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../lib/config';

/** Headers a browser client may send, and those it may read from an answer. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID', 'traceparent'];
const EXPOSED_HEADERS = [
  'Location',
  'Idempotent-Replayed',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/**
 * helmet's headers on every answer (its default Content-Security-Policy allows the pages' own
 * scripts and styles only), and CORS for the origins CORS_ORIGINS lists: none by default, so a
 * browser on another origin can call the API only where it is configured to.
 */
export function httpHardening(config: AppConfig): RequestHandler[] {
  const origins = config.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  return [
    helmet(),
    cors({
      origin: origins.length > 0 ? origins : false,
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    }),
  ];
}
