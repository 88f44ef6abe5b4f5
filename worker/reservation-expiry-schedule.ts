import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';

export const RESERVATION_EXPIRY_SCHEDULE_ID = 'inventory-reservation-expiry';

/** Creates the every-minute expiry schedule once; a worker restart finds it and leaves it. */
export async function ensureReservationExpirySchedule(config: AppConfig, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    await client.schedule.create({
      scheduleId: RESERVATION_EXPIRY_SCHEDULE_ID,
      spec: { intervals: [{ every: '1m' }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
      action: {
        type: 'startWorkflow',
        workflowType: 'reservationExpiry',
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowExecutionTimeout: '5m',
      },
    });
    logger.info({ scheduleId: RESERVATION_EXPIRY_SCHEDULE_ID }, 'reservation expiry schedule created');
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  } finally {
    await connection.close();
  }
}
