import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/*
 * The cache's atomic steps, as Lua scripts (Redis runs a script without interleaving anything).
 *
 * An entry is one hash: `v` the row version of the cached value, `d` the value as JSON, `f` the
 * fence: the lowest version that may still be stored, raised by every invalidation. `v` and `d` are
 * written and removed together; `f` outlives them, so a reader that loaded an old row before an
 * invalidation cannot put it back afterwards. The key's TTL covers the value and the fence alike.
 *
 * Write rule (SET_ENTRY): store version V iff V >= f and (no value, or V > v). V == v is a no-op
 * (the same row version is the same row), anything lower is counted in staleWritesRejected.
 */

/** A Lua script run by EVALSHA, falling back to EVAL (which also loads it) when Redis lacks it. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return redis.eval(this.source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }
}

/**
 * KEYS: entry, stats, lock. ARGV: count ('1' counts a hit or miss), lock token ('' takes no lock),
 * lock TTL in ms. Returns {1, version, json} on a hit, {0, locked} on a miss, where locked = 1 when
 * this caller now holds the key's load lock.
 */
export const GET_ENTRY = new LuaScript(`
local r = redis.call('HMGET', KEYS[1], 'v', 'd')
if r[2] then
  if ARGV[1] == '1' then redis.call('HINCRBY', KEYS[2], 'hits', 1) end
  return {1, r[1], r[2]}
end
if ARGV[1] == '1' then redis.call('HINCRBY', KEYS[2], 'misses', 1) end
if ARGV[2] ~= '' and redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {0, 1}
end
return {0, 0}
`);

/**
 * KEYS: entry, stats, lock. ARGV: version, json, TTL ms, lock token to release ('' none), the
 * counter to bump when stored ('fills' or 'warms'), raise fence ('1': the fence becomes at least
 * this version, for writers that know the row changed), pub/sub channel to announce the store on
 * ('' none) with `<key> <version> <Redis server time, epoch ms>`. Returns 1 stored, 0 same version already there, -1 stale (rejected).
 */
export const SET_ENTRY = new LuaScript(`
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
local version = tonumber(ARGV[1])
local cur = redis.call('HMGET', KEYS[1], 'v', 'f')
local stored = tonumber(cur[1])
local fence = tonumber(cur[2])
if (fence and version < fence) or (stored and version < stored) then
  redis.call('HINCRBY', KEYS[2], 'staleWritesRejected', 1)
  return -1
end
if stored and version == stored then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
if ARGV[6] == '1' and (not fence or version > fence) then redis.call('HSET', KEYS[1], 'f', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[5], 1)
if ARGV[7] ~= '' then
  local now = redis.call('TIME')
  local ms = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
  redis.call('PUBLISH', ARGV[7], KEYS[1] .. ' ' .. ARGV[1] .. ' ' .. ms)
end
return 1
`);

/**
 * KEYS: entry, stats, and optionally a generation counter to bump. ARGV: the version the row has
 * now (the fence), fence TTL ms. Raises the fence to that version and drops a cached value older
 * than it; a value at that version or newer stays (an old, replayed event changes nothing).
 * Returns {dropped (1 or 0), version of the value still cached or -1}.
 */
export const INVALIDATE_ENTRY = new LuaScript(`
local version = tonumber(ARGV[1])
local cur = redis.call('HMGET', KEYS[1], 'v', 'f')
local stored = tonumber(cur[1])
local fence = tonumber(cur[2])
local dropped = 0
if stored and stored < version then
  redis.call('HDEL', KEYS[1], 'v', 'd')
  dropped = 1
end
if not fence or version > fence then redis.call('HSET', KEYS[1], 'f', ARGV[1]) end
if dropped == 1 or not stored then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
redis.call('HINCRBY', KEYS[2], 'invalidations', 1)
if KEYS[3] then redis.call('INCR', KEYS[3]) end
if dropped == 1 or not stored then return {dropped, -1} end
return {0, stored}
`);

/**
 * Generational pages. KEYS: generation counter, stats. ARGV: page key prefix, query hash, count,
 * lock token, lock TTL ms, lock key prefix. The page key (prefix .. generation .. ':' .. hash) is
 * derived inside the script so the generation read and the page read are one atomic step; that
 * key is not declared in KEYS, which a single Redis allows (a cluster would need hash tags).
 * Returns {1, generation, json} on a hit, {0, generation, locked} on a miss.
 */
export const GET_PAGE = new LuaScript(`
local gen = redis.call('GET', KEYS[1]) or '0'
local key = ARGV[1] .. gen .. ':' .. ARGV[2]
local d = redis.call('GET', key)
if d then
  if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[2], 'hits', 1) end
  return {1, gen, d}
end
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[2], 'misses', 1) end
if ARGV[4] ~= '' and redis.call('SET', ARGV[6] .. key, ARGV[4], 'NX', 'PX', ARGV[5]) then
  return {0, gen, 1}
end
return {0, gen, 0}
`);

/**
 * KEYS: generation counter, page key, stats, lock. ARGV: the generation read before loading, json,
 * TTL ms, lock token ('' none). Stores only while the generation is still the one the page was
 * loaded under: a page loaded before an order change must not be stored after it.
 * Returns 1 stored, -1 stale.
 */
export const SET_PAGE = new LuaScript(`
if ARGV[4] ~= '' and redis.call('GET', KEYS[4]) == ARGV[4] then redis.call('DEL', KEYS[4]) end
local gen = redis.call('GET', KEYS[1]) or '0'
if gen ~= ARGV[1] then
  redis.call('HINCRBY', KEYS[3], 'staleWritesRejected', 1)
  return -1
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('HINCRBY', KEYS[3], 'fills', 1)
return 1
`);

/** KEYS: lock. ARGV: token. Releases the lock only if this caller still holds it. */
export const RELEASE_LOCK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
