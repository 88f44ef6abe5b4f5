/**
 * The workflow side of tracing, bundled into the saga's sandbox (deterministic: only
 * `@temporalio/workflow` and plain code). Runs started with this version trace through
 * `SandboxTracer` (sandbox-spans.ts). A run recorded before it is replayed with the spans it was
 * recorded with, since Temporal's OTel workflow interceptors draw span ids from the workflow's
 * random sequence (the one `uuid4()` draws the payment key from): Temporal's interceptors if its
 * history says they ran, none if it was recorded before tracing was installed. The choice is made
 * once per run, at its first activation.
 *
 * The span names are Temporal's: RunWorkflow, HandleUpdate, ValidateUpdate, HandleSignal,
 * HandleQuery, StartActivity (for local activities too), StartChildWorkflow, SignalWorkflow,
 * ContinueAsNew. Nexus operations are not traced (the saga has none). Two parents differ from
 * Temporal's, which keeps its context in an AsyncLocalStorage: work a handler schedules after its
 * first await runs under RunWorkflow rather than the handler's span (the saga's handlers schedule
 * nothing), and a signal or update that carries no context is a root of its own.
 *
 * Rolling out: a worker of the previous release would replay a run of this one with Temporal's
 * interceptors (and their random draws), so the previous workers stop before this one starts.
 */
import {
  ContinueAsNew,
  patched,
  workflowInfo,
  type ActivityInput,
  type ContinueAsNewInput,
  type DisposeInput,
  type GetLogAttributesInput,
  type Headers,
  type LocalActivityInput,
  type Next,
  type QueryInput,
  type SignalInput,
  type SignalWorkflowInput,
  type StartChildWorkflowExecutionInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowInternalsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
// Internal paths, as Temporal's OTel interceptors import them: which SDK flags a history recorded.
import { SdkFlags } from '@temporalio/workflow/lib/flags';
import { getActivator } from '@temporalio/workflow/lib/global-attributes';
import {
  contextFromHeaders,
  headersWith,
  SandboxTracer,
  type SandboxSpan,
  type SpanContext,
} from './sandbox-spans';
import { recordedTracing, type RecordedTracing } from './recorded-workflow-tracing';

/** Runs with this marker trace through the sandbox tracer. */
export const PATCH_SANDBOX_SPANS = 'sandbox-spans';

/**
 * sandbox: this version's tracer; recorded: Temporal's interceptors, for runs recorded with them
 * (their update handler records this flag in the run's first task, and every traced saga began with
 * its `orderPlaced` update); untraced: runs recorded before tracing, replayed without spans.
 */
type Mode = 'sandbox' | 'recorded' | 'untraced';

function modeOfThisRun(): Mode {
  if (patched(PATCH_SANDBOX_SPANS)) return 'sandbox';
  // A live first activation takes the patch; should one decline it, hasFlag would record the flag, not read it.
  if (!workflowInfo().unsafe.isReplaying) return 'untraced';
  return getActivator().hasFlag(SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods)
    ? 'recorded'
    : 'untraced';
}

/** One per workflow run (the interceptor factory is called for each). */
class RunTracing {
  private mode: Mode | undefined;
  private recordedInterceptors: RecordedTracing | undefined;
  readonly tracer = new SandboxTracer();
  /** The span the workflow code is running in right now (synchronously); else the run's own. */
  current: SpanContext | undefined;
  runSpan: SpanContext | undefined;

  /** Decided by the first traced inbound call: a run's first activation, never a query. */
  decide(): Mode {
    this.mode ??= modeOfThisRun();
    return this.mode;
  }

  /** Queries and validators never decide (they must not add a marker); before a decision, untraced. */
  decided(): Mode | undefined {
    return this.mode;
  }

  recorded(): RecordedTracing {
    this.recordedInterceptors ??= recordedTracing();
    return this.recordedInterceptors;
  }

  parentForOutbound(): SpanContext | undefined {
    return this.current ?? this.runSpan;
  }

  /** Runs `fn` as the current span's work, ending the span when its promise settles. */
  async within<T>(
    span: SandboxSpan,
    fn: () => Promise<T>,
    acceptable?: (error: unknown) => boolean,
  ): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = this.synchronously(span.context, fn);
    } catch (error) {
      span.end(acceptable?.(error) ? undefined : error);
      throw error;
    }
    return pending.then(
      (result) => {
        span.end();
        return result;
      },
      (error: unknown) => {
        span.end(acceptable?.(error) ? undefined : error);
        throw error;
      },
    );
  }

  /** Runs `fn` synchronously as the span's work and ends the span with its outcome. */
  ending<T>(span: SandboxSpan, fn: () => T): T {
    try {
      const result = this.synchronously(span.context, fn);
      span.end();
      return result;
    } catch (error) {
      span.end(error);
      throw error;
    }
  }

  /** The synchronous part of `fn` runs with `context` current. */
  synchronously<T>(context: SpanContext, fn: () => T): T {
    const previous = this.current;
    this.current = context;
    try {
      return fn();
    } finally {
      this.current = previous;
    }
  }
}

class TracingInbound implements WorkflowInboundCallsInterceptor {
  constructor(private readonly run: RunTracing) {}

  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    const mode = this.run.decide();
    if (mode === 'recorded') return this.run.recorded().inbound.execute(input, next);
    if (mode === 'untraced') return next(input);
    const span = this.run.tracer.start(`RunWorkflow:${workflowTypeOf()}`, contextFromHeaders(input.headers));
    this.run.runSpan = span.context;
    return this.run.within(
      span,
      () => next(input),
      (error) => error instanceof ContinueAsNew,
    );
  }

  handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>) {
    const mode = this.run.decide();
    if (mode === 'recorded') return this.run.recorded().inbound.handleSignal(input, next);
    if (mode === 'untraced') return next(input);
    const span = this.run.tracer.start(`HandleSignal:${input.signalName}`, contextFromHeaders(input.headers));
    return this.run.within(span, () => next(input));
  }

  handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) {
    const mode = this.run.decide();
    if (mode === 'recorded') return this.run.recorded().inbound.handleUpdate(input, next);
    if (mode === 'untraced') return next(input);
    const span = this.run.tracer.start(`HandleUpdate:${input.name}`, contextFromHeaders(input.headers));
    span.setAttribute('temporalUpdateId', input.updateId);
    return this.run.within(span, () => next(input));
  }

  validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>) {
    // Not traced in recorded runs: Temporal's span would draw from the random sequence live, and a
    // validator does not run on replay, so the run's later draws (its payment key) would shift.
    if (this.run.decided() !== 'sandbox') return next(input);
    // Validators may run again on a replay (or not at all): their spans are named, not counted.
    const span = this.run.tracer.start(
      `ValidateUpdate:${input.name}`,
      contextFromHeaders(input.headers),
      `validate/${input.updateId}`,
    );
    span.setAttribute('temporalUpdateId', input.updateId);
    this.run.ending(span, () => next(input));
  }

  handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>) {
    // Not traced in recorded runs, as validators: a query never runs on replay.
    if (this.run.decided() !== 'sandbox') return next(input);
    const span = this.run.tracer.start(
      `HandleQuery:${input.queryName}`,
      contextFromHeaders(input.headers),
      `query/${input.queryId}`,
    );
    return this.run.within(span, () => next(input));
  }
}

class TracingOutbound implements WorkflowOutboundCallsInterceptor {
  constructor(private readonly run: RunTracing) {}

  /**
   * Sandbox runs: a span under the current one, put in the call's headers and ended in the same
   * tick. Recorded runs: Temporal's interceptor. Untraced runs: the call as it is.
   */
  private traced<I extends { headers: Headers }, R>(
    spanName: string,
    input: I,
    next: (input: I) => R,
    recorded: (tracing: WorkflowOutboundCallsInterceptor) => R,
  ): R {
    const mode = this.run.decided();
    if (mode === 'recorded') return recorded(this.run.recorded().outbound);
    if (mode !== 'sandbox') return next(input);
    const span = this.run.tracer.start(spanName, this.run.parentForOutbound());
    return this.run.ending(span, () => next({ ...input, headers: headersWith(input.headers, span.context) }));
  }

  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return this.traced(`StartActivity:${input.activityType}`, input, next, (temporal) =>
      temporal.scheduleActivity!(input, next),
    );
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) {
    return this.traced(`StartActivity:${input.activityType}`, input, next, (temporal) =>
      temporal.scheduleLocalActivity!(input, next),
    );
  }

  startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ) {
    return this.traced(`StartChildWorkflow:${input.workflowType}`, input, next, (temporal) =>
      temporal.startChildWorkflowExecution!(input, next),
    );
  }

  signalWorkflow(input: SignalWorkflowInput, next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>) {
    return this.traced(`SignalWorkflow:${input.signalName}`, input, next, (temporal) =>
      temporal.signalWorkflow!(input, next),
    );
  }

  continueAsNew(input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) {
    const spanName = `ContinueAsNew:${input.options.workflowType ?? workflowTypeOf()}`;
    return this.traced(spanName, input, next, (temporal) => temporal.continueAsNew!(input, next));
  }

  getLogAttributes(
    input: GetLogAttributesInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>,
  ) {
    const mode = this.run.decided();
    if (mode === 'recorded') return this.run.recorded().outbound.getLogAttributes!(input, next);
    const context = this.run.parentForOutbound();
    if (mode !== 'sandbox' || !context) return next(input);
    return next({
      trace_id: context.traceId,
      span_id: context.spanId,
      trace_flags: `0${context.traceFlags.toString(16)}`,
      ...input,
    });
  }
}

class TracingInternals implements WorkflowInternalsInterceptor {
  constructor(private readonly run: RunTracing) {}

  dispose(input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>) {
    if (this.run.decided() === 'recorded') return this.run.recorded().internals.dispose!(input, next);
    return next(input);
  }
}

const workflowTypeOf = (): string => workflowInfo().workflowType;

export const interceptors = (): WorkflowInterceptors => {
  const run = new RunTracing();
  return {
    inbound: [new TracingInbound(run)],
    outbound: [new TracingOutbound(run)],
    internals: [new TracingInternals(run)],
  };
};
