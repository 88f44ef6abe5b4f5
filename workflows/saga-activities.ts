/**
 * The saga's activities, one proxy per retry policy: the type of each proxy admits only the
 * activities meant to run under it, so a payment call cannot end up with a database step's policy.
 */
import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Compensations, DatabaseSteps, PaymentSteps, Placement } from '../activities/types';
import { DATABASE_STEP_OPTIONS, FULFILMENT_STEP_OPTIONS, nonRetryableErrorTypes } from './activity-options';

/** Database steps as tasks on the queue: how sagas before v3 ran them (their histories say so). */
export const queuedDatabaseSteps = proxyActivities<DatabaseSteps>(DATABASE_STEP_OPTIONS);

/**
 * v3: the same steps as local activities, run by the worker inside the workflow task: no activity
 * task and no round trip through the server per step, one marker in the history instead of three events.
 */
export const localDatabaseSteps = proxyLocalActivities<DatabaseSteps>(DATABASE_STEP_OPTIONS);

/** Recording fulfilment (PROCESSING, SHIPPED, DELIVERED) once confirmed: never gives up. */
export const { recordOrderStatus: recordFulfilmentQueued } =
  proxyActivities<DatabaseSteps>(FULFILMENT_STEP_OPTIONS);
export const { recordOrderStatus: recordFulfilmentLocally } = proxyLocalActivities<DatabaseSteps>({
  ...FULFILMENT_STEP_OPTIONS,
  // Backoffs beyond a few seconds become workflow timers: the worker does not sit on a workflow
  // task through an hour-long outage, and the wait shows in the history.
  localRetryThreshold: '5s',
});

/**
 * Writing the order is the saga's first step (v3). It is bounded: a saga whose order could not be
 * written within a minute ends without one instead of placing it long after the client gave up.
 */
export const { placeOrder } = proxyLocalActivities<Placement>({
  ...DATABASE_STEP_OPTIONS,
  scheduleToCloseTimeout: '1m',
  // Longer backoffs wait on workflow timers rather than inside one workflow task.
  localRetryThreshold: '5s',
});

/**
 * The payment provider: a short per-call timeout, retried with backoff. The provider's own budget
 * (PAYMENT_PROVIDER_BUDGET_MS, 45 s) is kept by the activity, which tells a provider failure from
 * a failure to record the answer in our database; the step as a whole has a database step's five
 * minutes. With four attempts and 45 s for both, a Redis restart of a few seconds (the simulated
 * provider's ledger) or a Postgres outage while an authorisation was recorded cancelled orders
 * (SYSTEM_ERROR; found by test/faults/fault-suite.test.ts).
 */
const PAYMENT_STEP_OPTIONS = {
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: DATABASE_STEP_OPTIONS.scheduleToCloseTimeout,
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    nonRetryableErrorTypes,
  },
} satisfies ActivityOptions;

export const { authorizePayment } = proxyActivities<PaymentSteps>(PAYMENT_STEP_OPTIONS);

/**
 * Capture takes money the customer already authorised and records it in the orders database; both
 * halves are idempotent. Giving up refunds a paid order, so the activity keeps no provider budget
 * for it: the whole five minutes go to retrying (with four attempts, a Postgres outage of ten
 * seconds during capture cancelled orders and refunded them, found by the fault suite).
 */
const CAPTURE_STEP_OPTIONS = PAYMENT_STEP_OPTIONS;

export const { capturePayment } = proxyActivities<PaymentSteps>(CAPTURE_STEP_OPTIONS);

/**
 * v3: capture runs as a local activity, in the same workflow task as the commit and the CONFIRMED
 * record that follow it. Authorisation stays a queued activity: it ends the first workflow task, so
 * the API hears `orderPlaced` without waiting for the provider.
 */
export const { capturePayment: captureLocally } = proxyLocalActivities<PaymentSteps>({
  ...CAPTURE_STEP_OPTIONS,
  // Longer backoffs wait on workflow timers rather than inside one workflow task.
  localRetryThreshold: '5s',
});

/** Compensations never give up: stock must not stay held nor money stay taken. */
export const { releaseInventory, voidOrRefundPayment } = proxyActivities<Compensations>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
