import { createHash } from 'node:crypto';

/*
 * Redis key layout of the read cache. Every key starts with `cache:` so the whole cache can be
 * found (SCAN MATCH cache:*) or dropped without touching anything else in the same Redis.
 */

/** An order's view with its items: a hash {v: version, d: JSON, f: fence version}. */
export const orderKey = (orderId: string) => `cache:order:${orderId}`;

/** An inventory item's view: a hash {v, d, f} like an order's. */
export const inventoryItemKey = (productId: string) => `cache:inventory-item:${productId}`;

/** Bumped by every order change; part of every list page key, so a bump retires all pages at once. */
export const ORDERS_GENERATION_KEY = 'cache:orders:generation';

/** A list page is the plain string `cache:orders:list:<generation>:<query hash>`. */
export const ORDERS_LIST_PREFIX = 'cache:orders:list:';

/** Counters shared by every process: hits, misses, fills, warms, invalidations, staleWritesRejected. */
export const STATS_KEY = 'cache:stats';

/** The cross-process load lock of a key (SET NX PX). */
export const LOCK_PREFIX = 'cache:lock:';
export const lockKeyOf = (key: string) => `${LOCK_PREFIX}${key}`;

/**
 * Pub/sub channel: `<key> <version> <epoch ms>` whenever the CDC consumer stores a warmed entry; the
 * time is Redis's own clock at the store (bench/cdc-lag.ts measures with it).
 */
export const WARMED_CHANNEL = 'cache:warmed';

/**
 * A stable short hash of a list query: the same parameters in any order give the same hash.
 * Undefined values are left out, so `?status=` absent and not given are one page.
 */
export function listQueryHash(query: Record<string, string | number | undefined>): string {
  const canonical = Object.keys(query)
    .filter((name) => query[name] !== undefined)
    .sort()
    .map((name) => [name, query[name]]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}
