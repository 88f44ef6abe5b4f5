import { Counter, type Registry } from 'prom-client';
import type { VersionedCache } from '../../cache/versioned-cache';

const SHARED_EVENTS = ['hits', 'misses', 'fills', 'warms', 'invalidations', 'staleWritesRejected'] as const;

/**
 * The read cache's counters as Prometheus counters, read at scrape time. hits/misses/warms/... are
 * the cluster-wide counts every process adds to in Redis (so query them with max(), not sum(),
 * across API instances); fallbacks and Redis errors are this process's own.
 */
export function registerCacheMetrics(registry: Registry, cache: VersionedCache): void {
  new Counter({
    name: 'trackops_cache_events_total',
    help: 'read cache events (hits, misses, fills, warms, invalidations, staleWritesRejected), cluster-wide',
    labelNames: ['event'],
    registers: [registry],
    async collect() {
      const stats = await cache.stats();
      this.reset();
      for (const event of SHARED_EVENTS) this.inc({ event }, stats[event]);
    },
  });
  new Counter({
    name: 'trackops_cache_process_events_total',
    help: "this process's cache fallbacks to the database, Redis errors and single-flight joins",
    labelNames: ['event'],
    registers: [registry],
    async collect() {
      const { process } = await cache.stats();
      this.reset();
      this.inc({ event: 'fallbacks' }, process.fallbacks);
      this.inc({ event: 'redisErrors' }, process.redisErrors);
      this.inc({ event: 'sharedLoads' }, process.sharedLoads);
    },
  });
}
