/**
 * Temporal's OTel workflow interceptors as the worker bundles them into the saga's sandbox (only
 * `@temporalio/workflow` and the interceptors' workflow part: deterministic), with scheduling made
 * synchronous. Their activity interceptors await once more before scheduling when a history lacks
 * the SDK flag that says it was recorded with them; a saga started before tracing was installed
 * (the recorded v1-customer-cancel history) then schedules across an update's completion in a
 * different order and no longer replays. Here the StartActivity span is opened, the context put in
 * the activity's headers and the span ended in the same tick; RunActivity spans carry the duration.
 */
import type {
  ActivityInput,
  LocalActivityInput,
  Next,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import {
  headersWithContext,
  instrumentSync,
} from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';

class SynchronousSchedulingOutbound extends OpenTelemetryOutboundInterceptor {
  override scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ) {
    return instrumentSync({
      tracer: this.tracer,
      spanName: `StartActivity:${input.activityType}`,
      fn: () => next({ ...input, headers: headersWithContext(input.headers) }),
    });
  }

  override scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) {
    return instrumentSync({
      tracer: this.tracer,
      spanName: `StartActivity:${input.activityType}`,
      fn: () => next({ ...input, headers: headersWithContext(input.headers) }),
    });
  }
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new SynchronousSchedulingOutbound()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
