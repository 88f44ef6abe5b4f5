import { Context } from '@temporalio/activity';
import {
  type ActivityExecuteInput,
  type ActivityInboundCallsInterceptor,
  type ActivityInterceptorsFactory,
  type Next,
} from '@temporalio/worker';
import type { Compensations, OrderActivities } from '../activities/types';
import { inBusinessSpan } from '../lib/telemetry/business-span';
import { runInLogScope } from '../lib/telemetry/log-context';

const COMPENSATIONS: ReadonlySet<string> = new Set<keyof Compensations>([
  'releaseInventory',
  'voidOrRefundPayment',
]);
const FORWARD_STEPS: ReadonlySet<string> = new Set<Exclude<keyof OrderActivities, keyof Compensations>>([
  'placeOrder',
  'reserveInventory',
  'commitInventory',
  'authorizePayment',
  'capturePayment',
  'recordOrderStatus',
  'raiseShipmentSlaAlert',
]);

function orderIdOf(args: readonly unknown[]): string | undefined {
  const [first] = args;
  if (typeof first !== 'object' || first === null) return undefined;
  const { orderId } = first as { orderId?: unknown };
  return typeof orderId === 'string' ? orderId : undefined;
}

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
    const { activityType, activityId, attempt, isLocal, workflowExecution } = Context.current().info;
    // An activity's log lines name the saga they work for, as a request's name the request.
    return runInLogScope({ requestId: workflowExecution?.workflowId ?? activityId }, () =>
      this.inStepSpan(input, next, activityType, attempt, isLocal),
    );
  }

  private inStepSpan(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
    activityType: string,
    attempt: number,
    isLocal: boolean,
  ): Promise<unknown> {
    const compensation = COMPENSATIONS.has(activityType);
    if (!compensation && !FORWARD_STEPS.has(activityType)) return next(input);
    const status = (input.args[0] as { status?: unknown } | undefined)?.status;
    return inBusinessSpan(
      'trackops-saga',
      `saga ${compensation ? 'compensation' : 'step'} ${activityType}`,
      {
        'trackops.order.id': orderIdOf(input.args) ?? '',
        'trackops.saga.step': activityType,
        'trackops.saga.compensation': compensation,
        'trackops.saga.attempt': attempt,
        'trackops.saga.local': isLocal,
        ...(typeof status === 'string' ? { 'trackops.order.status': status } : {}),
      },
      () => next(input),
    );
  }
}

export const sagaStepSpans: ActivityInterceptorsFactory = () => ({ inbound: new SagaStepSpanInterceptor() });
