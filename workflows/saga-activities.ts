/**
 * The saga's activities, one proxy per retry policy: the type of each proxy admits only the
 * activities meant to run under it, so a payment call cannot end up with a database step's policy.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Compensations, DatabaseSteps, PaymentSteps } from '../activities/types';
import { DATABASE_STEP_OPTIONS, nonRetryableErrorTypes } from './activity-options';

export const { reserveInventory, commitInventory, recordOrderStatus, raiseShipmentSlaAlert } =
  proxyActivities<DatabaseSteps>(DATABASE_STEP_OPTIONS);

/** The payment provider: a short per-call timeout and a bounded total, after which we give up. */
export const { authorizePayment, capturePayment } = proxyActivities<PaymentSteps>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '45s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 4,
    nonRetryableErrorTypes,
  },
});

/** Compensations never give up: stock must not stay held nor money stay taken. */
export const { releaseInventory, voidOrRefundPayment } = proxyActivities<Compensations>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
