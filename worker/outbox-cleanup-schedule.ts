import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';

export const OUTBOX_CLEANUP_SCHEDULE_ID = 'outbox-cleanup';
export const OUTBOX_CLEANUP_INTERVAL = '10m';

/**
 * Creates the outbox-cleanup schedule once; a worker restart finds it and leaves it. Overlapping
 * runs are skipped (a slow run simply delays the next one), and runs missed while Temporal was
 * down are not caught up beyond one interval: the next run deletes everything due anyway.
 */
export async function ensureOutboxCleanupSchedule(config: AppConfig, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    await client.schedule.create({
      scheduleId: OUTBOX_CLEANUP_SCHEDULE_ID,
      spec: { intervals: [{ every: OUTBOX_CLEANUP_INTERVAL }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: OUTBOX_CLEANUP_INTERVAL },
      action: {
        type: 'startWorkflow',
        workflowType: 'outboxCleanup',
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowExecutionTimeout: '30m',
      },
    });
    logger.info({ scheduleId: OUTBOX_CLEANUP_SCHEDULE_ID }, 'outbox cleanup schedule created');
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  } finally {
    await connection.close();
  }
}
