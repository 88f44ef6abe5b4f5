import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { activeTraceparent } from './trace-context';

/**
 * Runs inside the activity's span. An activity whose input carries `traceparent` (the context it
 * writes into its outbox rows) gets that span's instead of the one the saga started with, so a
 * consumer of the event is parented to the step that produced it, in the same trace.
 */
export class OutboxTraceparentInterceptor implements ActivityInboundCallsInterceptor {
  execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const [first, ...rest] = input.args;
    const traceparent = activeTraceparent();
    if (!traceparent || !isObjectWithTraceparent(first)) return next(input);
    return next({ ...input, args: [{ ...first, traceparent }, ...rest] });
  }
}

function isObjectWithTraceparent(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'traceparent' in value;
}
