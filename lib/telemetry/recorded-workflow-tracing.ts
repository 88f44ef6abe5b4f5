/**
 * Temporal's OTel workflow interceptors, for runs recorded before the sandbox tracer: their spans
 * draw ids from the workflow's random sequence, so such a history replays only with them. Loaded
 * on first use: a run that never needs them does not evaluate the OTel SDK in its sandbox.
 *
 * Scheduling is made synchronous. Their activity interceptors await once more before scheduling
 * when a history lacks the SDK flag that says it was recorded with them; a saga started before
 * tracing was installed (the recorded v1-customer-cancel history) then schedules across an update's
 * completion in a different order and no longer replays. Here the StartActivity span is opened, the
 * context put in the activity's headers and the span ended in the same tick.
 */
import type {
  ActivityInput,
  LocalActivityInput,
  Next,
  WorkflowInboundCallsInterceptor,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

type InstrumentationModule = typeof import('@temporalio/interceptors-opentelemetry/lib/instrumentation');
type WorkflowModule = typeof import('@temporalio/interceptors-opentelemetry/lib/workflow');

export interface RecordedTracing {
  inbound: Required<Pick<WorkflowInboundCallsInterceptor, 'execute' | 'handleSignal' | 'handleUpdate'>>;
  outbound: WorkflowOutboundCallsInterceptor;
  internals: WorkflowInternalsInterceptor;
}

export function recordedTracing(): RecordedTracing {
  // Required here, not imported: evaluating them sets up an OTel SDK inside the sandbox.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { headersWithContext, instrumentSync } =
    require('@temporalio/interceptors-opentelemetry/lib/instrumentation') as InstrumentationModule;
  const {
    OpenTelemetryInboundInterceptor,
    OpenTelemetryInternalsInterceptor,
    OpenTelemetryOutboundInterceptor,
  } = require('@temporalio/interceptors-opentelemetry/lib/workflow') as WorkflowModule;
  /* eslint-enable @typescript-eslint/no-require-imports */

  class SynchronousSchedulingOutbound extends OpenTelemetryOutboundInterceptor {
    private startActivity<I extends ActivityInput | LocalActivityInput, R>(
      input: I,
      next: (input: I) => R,
    ): R {
      return instrumentSync({
        tracer: this.tracer,
        spanName: `StartActivity:${input.activityType}`,
        fn: () => next({ ...input, headers: headersWithContext(input.headers) }),
      });
    }

    override scheduleActivity(
      input: ActivityInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
    ) {
      return this.startActivity(input, next);
    }

    override scheduleLocalActivity(
      input: LocalActivityInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
    ) {
      return this.startActivity(input, next);
    }
  }

  const inbound = new OpenTelemetryInboundInterceptor();
  return {
    inbound: {
      execute: (input, next) => inbound.execute(input, next),
      handleSignal: (input, next) => inbound.handleSignal(input, next),
      handleUpdate: (input, next) => inbound.handleUpdate(input, next),
    },
    outbound: new SynchronousSchedulingOutbound(),
    internals: new OpenTelemetryInternalsInterceptor(),
  };
}
