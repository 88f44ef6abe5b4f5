import { SpanKind, type Attributes, type AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ClientInterceptors } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetryWorkflowExporter,
  type SerializableSpan,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { createTraceState } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';
import { OutboxTraceparentInterceptor } from './outbox-traceparent-interceptor';
import { telemetryRuntime } from './runtime';

/**
 * The workflow side of Temporal's OTel interceptors: bundled into the workflow sandbox, where its
 * spans are built deterministically and handed out through the `exporter` sink (not called during
 * replay, so a replay exports nothing and decides nothing).
 */
export const TRACING_WORKFLOW_MODULES: readonly string[] = [require.resolve('./workflow-interceptors')];

/** Start, update-with-start, signal, update and query calls become client spans carrying the context. */
export function tracingClientInterceptors(): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

const activitySpans: ActivityInterceptorsFactory = (ctx) => ({
  inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
  outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
});

// Listed after the span's factory: it runs inside that span.
const outboxTraceparent: ActivityInterceptorsFactory = () => ({
  inbound: new OutboxTraceparentInterceptor(),
});

/**
 * The worker's interceptors: the workflow modules above, and a span around every activity. `inside`
 * run within that span (spans of the application's own), before the outbox traceparent is taken.
 */
export function tracingWorkerInterceptors(inside: ActivityInterceptorsFactory[] = []): WorkerInterceptors {
  return {
    workflowModules: [...TRACING_WORKFLOW_MODULES],
    activity: [activitySpans, ...inside, outboxTraceparent],
  };
}

function primitiveAttributes(attributes: Attributes): Attributes {
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (isAttributeValue(value)) kept[key] = value;
  }
  return kept;
}

function isAttributeValue(value: unknown): value is AttributeValue {
  const primitive = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);
  return primitive(value) || (Array.isArray(value) && value.every((v) => v === null || primitive(v)));
}

/**
 * A sandbox span as the SDK's processor wants it. The workflow side is built with OTel 1.x
 * (`parentSpanId`, `instrumentationLibrary`); this SDK's processors and exporters read the 2.x
 * shape (`parentSpanContext`, `instrumentationScope`) and fail on the other one.
 */
export function readableWorkflowSpan(
  span: SerializableSpan,
  info: WorkflowInfo,
  resource: ReadableSpan['resource'],
): ReadableSpan {
  const { traceState, ...ids } = span.spanContext;
  const spanContext = { ...ids, ...(traceState ? { traceState: createTraceState(traceState) } : {}) };
  return {
    name: span.name,
    kind: span.kind ?? SpanKind.INTERNAL,
    spanContext: () => spanContext,
    ...(span.parentSpanId
      ? {
          parentSpanContext: {
            traceId: ids.traceId,
            spanId: span.parentSpanId,
            traceFlags: ids.traceFlags,
            isRemote: false,
          },
        }
      : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: {
      ...primitiveAttributes(span.attributes),
      temporalWorkflowId: info.workflowId,
      temporalRunId: info.runId,
      temporalWorkflowType: info.workflowType,
    },
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource,
    instrumentationScope: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/**
 * The sink the workflow interceptors export through. Installed whether or not the SDK runs, so the
 * workflow code is the same on every worker; without the SDK the spans are dropped.
 */
export function tracingWorkflowSinks(
  processor?: SpanProcessor,
): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  return {
    exporter: {
      export: {
        fn: (info, spans) => {
          const runtime = telemetryRuntime();
          const target = processor ?? runtime?.spanProcessor;
          if (!target) return;
          const resource = runtime?.resource ?? emptyResource();
          for (const span of spans) target.onEnd(readableWorkflowSpan(span, info, resource));
        },
      },
    },
  };
}
