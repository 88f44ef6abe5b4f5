/**
 * The saga's activities, one proxy per retry policy: the type of each proxy admits only the
 * activities meant to run under it, so a payment call cannot end up with a database step's policy.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Compensations, DatabaseSteps, PaymentSteps } from '../activities/types';
import { FailureType } from './contract';

/** Business refusals: retrying cannot change the answer. A provider timeout is not one of them. */
const nonRetryableErrorTypes = [
  FailureType.InsufficientStock,
  FailureType.PaymentDeclined,
  FailureType.OrderNotFound,
];

/** Database steps: retried with backoff for infrastructure failures for up to five minutes. */
export const { reserveInventory, commitInventory, recordOrderStatus, raiseShipmentSlaAlert } =
  proxyActivities<DatabaseSteps>({
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '5m',
    retry: {
      initialInterval: '500ms',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      nonRetryableErrorTypes,
    },
  });

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
