import type { Compensations, OrderActivities } from '../activities/types';

/** The saga's compensations, by activity type: what a failure or cancellation undoes with. */
export const COMPENSATIONS: ReadonlySet<string> = new Set<keyof Compensations>([
  'releaseInventory',
  'voidOrRefundPayment',
]);

/** The saga's forward steps, by activity type (everything it registers that is not a compensation). */
export const FORWARD_STEPS: ReadonlySet<string> = new Set<
  Exclude<keyof OrderActivities, keyof Compensations>
>([
  'placeOrder',
  'reserveInventory',
  'commitInventory',
  'authorizePayment',
  'capturePayment',
  'recordOrderStatus',
  'raiseShipmentSlaAlert',
]);
