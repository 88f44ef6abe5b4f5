import { Router } from 'express';
import type { VersionedCache } from '../../cache/versioned-cache';

/** GET /api/cache/stats: hits, misses, invalidations, warms, hit ratio and this process's fallbacks. */
export function createCacheRouter(cache: VersionedCache): Router {
  const router = Router();
  router.get('/stats', async (_req, res) => {
    res.json({ enabled: cache.enabled, ...(await cache.stats()) });
  });
  return router;
}
