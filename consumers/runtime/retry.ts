/** How long to wait between attempts: doubling from initialDelayMs, never more than maxDelayMs. */
export interface Backoff {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** The bounded retries of a failure that is neither permanent nor transient (see failure-kind.ts). */
export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included, before a message goes to the dead-letter topic. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5000 };

/**
 * A transient failure (a dependency down) is retried with no attempt limit: the cap keeps a long
 * outage to one attempt per half minute or so, and a recovery is noticed within that.
 */
export const TRANSIENT_BACKOFF: Backoff = { initialDelayMs: 200, maxDelayMs: 30_000 };

/** Exponential backoff with full jitter, so consumers retrying the same outage do not stampede. */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** An error that retrying cannot fix (a malformed message, a schema violation): straight to the DLQ. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}
