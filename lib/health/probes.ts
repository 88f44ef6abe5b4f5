import type { Client } from '@temporalio/client';
import type Redis from 'ioredis';
import { PROBE_TIMEOUT_MS, type Probe } from './readiness';

/** A Prisma client (either bounded context's): one `SELECT 1`. */
export function databaseProbe(db: {
  $queryRaw: (query: TemplateStringsArray) => PromiseLike<unknown>;
}): Probe {
  return { check: async () => void (await db.$queryRaw`SELECT 1`) };
}

export function redisProbe(redis: Redis, options: { optional: boolean }): Probe {
  return { check: async () => void (await redis.ping()), optional: options.optional };
}

/** The Temporal frontend answers, within the probe's deadline; its version is the detail. */
export function temporalProbe(temporal: Client): Probe {
  return {
    check: () =>
      temporal.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () =>
        temporal.workflowService.getSystemInfo({}).then((info) => ({ serverVersion: info.serverVersion })),
      ),
  };
}
