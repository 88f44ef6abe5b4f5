import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Options } from 'express-rate-limit';
import type Redis from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { durationMs, type AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';
import { principalOf } from './auth/middleware';
import { body } from './errors';

/** Counters live under this prefix, one key per caller and window, expiring with the window. */
export const RATE_LIMIT_PREFIX = 'trackops:ratelimit:';

/**
 * rate-limit-redis loads its scripts once, when the limiter is built; a load that failed because
 * Redis was not reachable yet would be remembered for good. Here a failed load is tried again on
 * the next request instead.
 */
class ReloadingRedisStore extends RedisStore {
  override async init(options: Options): Promise<void> {
    this.windowMs = options.windowMs;
    this.incrementScriptSha = this.loadIncrementScript();
    this.getScriptSha = this.loadGetScript();
    await Promise.allSettled([this.incrementScriptSha, this.getScriptSha]);
  }

  override async increment(key: string) {
    this.incrementScriptSha = this.incrementScriptSha.catch(() => this.loadIncrementScript());
    return super.increment(key);
  }

  override async get(key: string) {
    this.getScriptSha = this.getScriptSha.catch(() => this.loadGetScript());
    return super.get(key);
  }
}

/**
 * Per-caller limits on /api, counted in Redis so every API instance shares them: keyed by the
 * token's subject, or the client address without a token. Answers carry `RateLimit` (draft 7)
 * and `X-RateLimit-*` with the window's real reset; over the limit a 429 error body and
 * `Retry-After`. Operators and admins (the stack's tools, the bench) are not limited. If Redis is
 * down the API stays up unlimited, as it stays up uncached.
 */
export function rateLimiter(config: AppConfig, redis: Redis, logger: Logger): RequestHandler {
  return rateLimit({
    windowMs: durationMs(config.RATE_LIMIT_WINDOW),
    limit: config.RATE_LIMIT_MAX,
    standardHeaders: 'draft-7',
    legacyHeaders: true,
    passOnStoreError: true,
    store: new ReloadingRedisStore({
      prefix: RATE_LIMIT_PREFIX,
      sendCommand: (command: string, ...args: string[]) =>
        redis.call(command, ...args) as Promise<RedisReply>,
    }),
    skip: (req) => {
      const role = principalOf(req)?.role;
      return role === 'operator' || role === 'admin';
    },
    keyGenerator: (req) => {
      const principal = principalOf(req);
      return principal ? `sub:${principal.subject}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (req, res) => {
      const retryAfter = String(res.getHeader('Retry-After'));
      res
        .status(429)
        .json(body(429, `too many requests; retry in ${retryAfter} s`, `${req.baseUrl}${req.path}`));
    },
    logger: {
      error: (error, message) => logger.warn({ err: error }, message ?? 'rate limit store failed'),
      warn: (error, message) => logger.warn({ err: error }, message ?? 'rate limit warning'),
    },
  });
}
