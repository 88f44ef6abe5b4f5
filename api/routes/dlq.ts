import { Router } from 'express';
import { Kafka, logLevel } from 'kafkajs';
import { countAllDlqs, DLQ_REPLAY_GROUP } from '../../messaging/dlq/dlq';
import type { ApiDependencies } from '../dependencies';
import { unavailable } from '../errors';

/**
 * `GET /api/dlq`: every dead-letter topic with its pending and retained counts (pending: not yet
 * replayed or purged, per the offsets of the `trackops-dlq-replay` group; see messaging/dlq/dlq.ts).
 * Replaying and purging are operator actions: `trackops dlq replay|purge`.
 */
export function createDlqRouter(deps: ApiDependencies, kafka?: Kafka): Router {
  const router = Router();
  const client =
    kafka ??
    new Kafka({
      clientId: 'trackops-api-dlq',
      brokers: deps.config.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 1 },
    });

  router.get('/', async (_req, res) => {
    const admin = client.admin();
    try {
      await admin.connect();
      const topics = await countAllDlqs(admin);
      res.json({
        group: DLQ_REPLAY_GROUP,
        totalPending: topics.reduce((sum, t) => sum + t.pending, 0),
        topics,
      });
    } catch (error) {
      throw unavailable('kafka unavailable', error);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  });

  return router;
}
