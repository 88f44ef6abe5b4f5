/** Shared by the activity tests: a quiet MockActivityEnvironment, failure capture, Redis cleanup. */
import type { Info } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type Redis from 'ioredis';

/**
 * Runs activities in a MockActivityEnvironment whose SDK logger keeps "activity failed" warnings
 * out of the test output, typed by the activity (MockActivityEnvironment.run cannot infer R). Each
 * call is a first attempt scheduled just now (the mock's default says 1970), unless `info` says
 * otherwise, e.g. `{ scheduledTimestampMs: Date.now() - 60_000 }` for a step retried for a minute.
 */
export function quietActivityRunner(info: () => Partial<Info> = () => ({})) {
  const logger = new DefaultLogger('ERROR');
  return <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => {
    const now = Date.now();
    const env = new MockActivityEnvironment(
      { scheduledTimestampMs: now, currentAttemptScheduledTimestampMs: now, ...info() },
      { logger },
    );
    return env.run<A, R, (...args: A) => Promise<R>>(fn, ...args);
  };
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The ApplicationFailure a promise rejects with; fails the test on success or any other error. */
export async function applicationFailureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await rejectionOf(promise);
  if (!(error instanceof ApplicationFailure)) {
    throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  }
  return error;
}

/** Deletes every key under a prefix (the simulated provider's ledger keys have no TTL). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Every value stored under a prefix, parsed as JSON. */
export async function valuesWithPrefix<T>(redis: Redis, prefix: string): Promise<T[]> {
  const values: T[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    for (const key of keys) {
      const raw = await redis.get(key);
      if (raw) values.push(JSON.parse(raw) as T);
    }
    cursor = next;
  } while (cursor !== '0');
  return values;
}
