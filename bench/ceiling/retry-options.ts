/**
 * The saga's database-step activity options (`steps` in workflows/order-saga.ts, now
 * DATABASE_STEP_OPTIONS in workflows/saga-activities.ts), copied rather than imported: the saga's
 * files are being reworked, and the ceiling must not change when they do. The no-op activities never
 * fail, so the retry policy only has to be the same to schedule the same way.
 */
import type { ActivityOptions } from '@temporalio/workflow';

export const CEILING_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '5m',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    nonRetryableErrorTypes: ['InsufficientStock', 'PaymentDeclined', 'OrderNotFound'],
  },
} satisfies ActivityOptions;

export const CEILING_STEPS = 5;
