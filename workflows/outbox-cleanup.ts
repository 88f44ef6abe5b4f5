import { proxyActivities } from '@temporalio/workflow';
import type { OutboxActivities, OutboxCleanupResult } from '../activities/outbox-activities';

const { cleanupOutbox } = proxyActivities<OutboxActivities>({
  // A run is bounded (batches per table); the heartbeat after every batch shows it is alive.
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { maximumAttempts: 3 },
});

/**
 * Started by the `outbox-cleanup` schedule every 10 minutes: deletes outbox rows older than
 * OUTBOX_RETENTION and processed_events rows older than PROCESSED_EVENTS_RETENTION.
 */
export async function outboxCleanup(): Promise<OutboxCleanupResult> {
  return cleanupOutbox();
}
