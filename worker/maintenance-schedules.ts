import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';

interface MaintenanceSchedule {
  scheduleId: string;
  workflowType: string;
  every: Duration;
  workflowExecutionTimeout: Duration;
}

/** Housekeeping that runs as Temporal schedules, not as timers inside any one process. */
export const MAINTENANCE_SCHEDULES: readonly MaintenanceSchedule[] = [
  // Releases manual holds whose time is up.
  {
    scheduleId: 'inventory-reservation-expiry',
    workflowType: 'reservationExpiry',
    every: '1m',
    workflowExecutionTimeout: '5m',
  },
  // Deletes outbox rows already on Kafka and old processed_events rows.
  {
    scheduleId: 'outbox-cleanup',
    workflowType: 'outboxCleanup',
    every: '10m',
    workflowExecutionTimeout: '30m',
  },
];

/**
 * Creates each schedule once; a worker restart finds them and leaves them. Overlapping runs are
 * skipped (a slow run delays the next), and runs missed while Temporal was down are not caught up
 * beyond one interval: the next run does everything due anyway.
 */
export async function ensureMaintenanceSchedules(config: AppConfig, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    for (const schedule of MAINTENANCE_SCHEDULES) {
      try {
        await client.schedule.create({
          scheduleId: schedule.scheduleId,
          spec: { intervals: [{ every: schedule.every }] },
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: schedule.every },
          action: {
            type: 'startWorkflow',
            workflowType: schedule.workflowType,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowExecutionTimeout: schedule.workflowExecutionTimeout,
          },
        });
        logger.info({ scheduleId: schedule.scheduleId }, 'maintenance schedule created');
      } catch (error) {
        if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      }
    }
  } finally {
    await connection.close();
  }
}
