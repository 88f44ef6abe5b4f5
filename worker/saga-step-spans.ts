import { Context, type Info } from '@temporalio/activity';
import {
  type ActivityExecuteInput,
  type ActivityInboundCallsInterceptor,
  type ActivityInterceptorsFactory,
  type Next,
} from '@temporalio/worker';
import { inBusinessSpan } from '../lib/telemetry/business-span';
import { runInLogScope } from '../lib/telemetry/log-context';
import { COMPENSATIONS, FORWARD_STEPS } from './saga-activity-kinds';

/**
 * Inside Temporal's RunActivity span, a span that says what the step means for the order:
 * `saga step reserveInventory` or `saga compensation releaseInventory`, with the order id, the
 * attempt and (for a status record) the status written, so a trace reads as the saga's story and
 * a compensation stands out in it. Maintenance activities get no span. Every activity's log lines
 * carry its workflow id as their request id.
 */
class SagaStepSpanInterceptor implements ActivityInboundCallsInterceptor {
  execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const info = Context.current().info;
    // An activity's log lines name the saga they work for, as a request's name the request.
    return runInLogScope({ requestId: info.workflowExecution?.workflowId ?? info.activityId }, () =>
      inStepSpan(input, next, info),
    );
  }
}

function inStepSpan(
  input: ActivityExecuteInput,
  next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  { activityType, attempt, isLocal }: Info,
): Promise<unknown> {
  const compensation = COMPENSATIONS.has(activityType);
  if (!compensation && !FORWARD_STEPS.has(activityType)) return next(input);
  // Every saga activity takes one object naming its order (and, recording a status, the status).
  const { orderId, status } = (input.args[0] ?? {}) as { orderId?: unknown; status?: unknown };
  return inBusinessSpan(
    'trackops-saga',
    `saga ${compensation ? 'compensation' : 'step'} ${activityType}`,
    {
      'trackops.order.id': typeof orderId === 'string' ? orderId : '',
      'trackops.saga.step': activityType,
      'trackops.saga.compensation': compensation,
      'trackops.saga.attempt': attempt,
      'trackops.saga.local': isLocal,
      ...(typeof status === 'string' ? { 'trackops.order.status': status } : {}),
    },
    () => next(input),
  );
}

export const sagaStepSpans: ActivityInterceptorsFactory = () => ({ inbound: new SagaStepSpanInterceptor() });
