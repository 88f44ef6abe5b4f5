import type { CacheRedis } from './cache-redis';
import { lockKeyOf, WARMED_CHANNEL } from './keys';
import { SET_ENTRY } from './lua';
import type { CacheEntry, WriteOutcome } from './stats';

export interface EntryWrite {
  /** The counter the store adds to: a reader's fill after a miss, or the CDC consumer's warm. */
  kind: 'fills' | 'warms';
  /** The load lock this write releases (the reader that took it on its miss); '' for none. */
  lockToken: string;
  raiseFence?: boolean;
  /** Announce the store on the `cache:warmed` channel. */
  publish?: boolean;
}

/** Stores `entry` under `key` by the version rules of ./lua.ts (SET_ENTRY); throws when Redis fails. */
export async function writeEntry<T>(
  redis: CacheRedis,
  key: string,
  entry: CacheEntry<T>,
  options: EntryWrite,
): Promise<WriteOutcome> {
  const result = await redis.call(
    SET_ENTRY.run(
      redis.client,
      [key, redis.settings.statsKey, lockKeyOf(key)],
      [
        entry.version,
        JSON.stringify(entry.value),
        redis.settings.ttlMs,
        options.lockToken,
        options.kind,
        options.raiseFence ? '1' : '0',
        options.publish ? WARMED_CHANNEL : '',
      ],
    ),
  );
  return result === 1 ? 'stored' : result === 0 ? 'unchanged' : 'stale';
}
