import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance-activities';

const { expireReservations } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
});

/** Started by a Temporal schedule every minute: releases manual holds whose time is up. */
export async function reservationExpiry(): Promise<{ expired: number }> {
  const { expired } = await expireReservations();
  return { expired: expired.length };
}
