import { log } from '@temporalio/activity';
import type { InventoryDb } from '../domain/inventory/db';
import { expireReservations } from '../domain/inventory/stock';

export interface MaintenanceActivities {
  expireReservations(): Promise<{ expired: string[] }>;
}

/** Housekeeping run by Temporal schedules rather than timers inside the API process. */
export function createMaintenanceActivities({
  inventoryDb,
}: {
  inventoryDb: InventoryDb;
}): MaintenanceActivities {
  return {
    async expireReservations() {
      const expired = await expireReservations(inventoryDb, new Date());
      if (expired.length > 0) log.info('expired reservations released', { count: expired.length });
      return { expired };
    },
  };
}
