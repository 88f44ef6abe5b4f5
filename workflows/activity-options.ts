/**
 * The saga's activity options, pure so the workflow bundle and the benchmark's ceiling (which must
 * schedule exactly as the saga's database steps do) share one definition.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { FailureType } from './contract';

/** Business refusals: retrying cannot change the answer. A provider timeout is not one of them. */
export const nonRetryableErrorTypes = [
  FailureType.InsufficientStock,
  FailureType.PaymentDeclined,
  FailureType.PaymentProviderUnavailable,
  FailureType.OrderNotFound,
  FailureType.IdempotencyKeyTaken,
];

/**
 * After the order is confirmed nothing may unwind it but a business decision: recording its
 * fulfilment retries for as long as the database is away (each attempt still bounded), and the
 * activity alerts while it keeps failing.
 */
export const FULFILMENT_STEP_OPTIONS = {
  startToCloseTimeout: '15s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes,
  },
} satisfies ActivityOptions;

/** Database steps: retried with backoff for infrastructure failures for up to five minutes. */
export const DATABASE_STEP_OPTIONS = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '5m',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    nonRetryableErrorTypes,
  },
} satisfies ActivityOptions;

/**
 * How long authorisation keeps retrying a provider that fails (errors, timeouts, an open circuit),
 * counted from the step's first attempt; then the activity gives up (PaymentProviderUnavailable)
 * and the order is cancelled with PAYMENT_TIMEOUT. The step's own budget is a database step's
 * five minutes, so an outage of our database while the authorisation is recorded never cancels.
 */
export const PAYMENT_PROVIDER_BUDGET_MS = 45_000;
