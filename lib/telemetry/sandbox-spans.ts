/**
 * Spans built inside the workflow sandbox without the OpenTelemetry SDK: plain records handed to the
 * worker through the `exporter` sink, in the shape Temporal's own workflow interceptors export.
 *
 * Why not the SDK's interceptors: they evaluate the OTel SDK anew in every workflow, keep their
 * context in an AsyncLocalStorage and await around every span; on this machine that was a fifth of
 * the saga's throughput (bench: 9.3 vs 11.5 orders/s with the sandbox untraced). Why ids without
 * randomness: the SDK's id generator draws from the workflow's seeded `Math.random`, the same
 * sequence `uuid4()` draws from, so every span would shift the saga's own ids (its payment
 * idempotency key) away from a history recorded with a different number of spans.
 */
import type { SerializableSpan, OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { ApplicationFailure, ApplicationFailureCategory, defaultPayloadConverter } from '@temporalio/common';
import { proxySinks, workflowInfo, type Headers } from '@temporalio/workflow';

/** The header Temporal's OTel interceptors carry the W3C context in (their TRACE_HEADER). */
export const TRACE_HEADER = '_tracer-data';

/** The context a span runs in, as it travels in headers: W3C trace context. */
export interface SpanContext {
  traceId: string;
  spanId: string;
  /** 1: sampled (recorded and exported), 0: only propagated. */
  traceFlags: number;
  traceState?: string;
}

const SPAN_KIND_INTERNAL = 0;
const STATUS_UNSET = 0;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const SCOPE = { name: '@temporalio/interceptor-workflow' };

const TRACEPARENT = /^00-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

export function contextFromHeaders(headers: Headers | undefined): SpanContext | undefined {
  const payload = headers?.[TRACE_HEADER];
  if (!payload) return undefined;
  const carrier = defaultPayloadConverter.fromPayload<{ traceparent?: string; tracestate?: string }>(payload);
  const match = TRACEPARENT.exec(carrier?.traceparent ?? '');
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16) & 1,
    ...(carrier?.tracestate ? { traceState: carrier.tracestate } : {}),
  };
}

export function headersWith(headers: Headers, context: SpanContext): Headers {
  const flags = context.traceFlags.toString(16).padStart(2, '0');
  const carrier = {
    traceparent: `00-${context.traceId}-${context.spanId}-${flags}`,
    ...(context.traceState ? { tracestate: context.traceState } : {}),
  };
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) };
}

/** FNV-1a over the text, from a seed: 8 hex digits. */
function fnv1a(text: string, seed: number): string {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** 16 hex digits, never all zero, from the run and the span's place in it: the same on every replay. */
export function spanIdOf(runId: string, sequence: string): string {
  const id = fnv1a(`${runId}/${sequence}`, 0x811c9dc5) + fnv1a(`${sequence}/${runId}`, 0x01234567);
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

type HrTime = [number, number];
const hrTimeOf = (ms: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1e6];

export interface SandboxSpan {
  readonly context: SpanContext;
  setAttribute(key: string, value: string): void;
  /** Ends the span: OK, or the failure (a benign ApplicationFailure leaves the status unset). */
  end(error?: unknown): void;
}

/** Spans of one workflow run; ids count up from the run id, so a replay rebuilds the same ones. */
export class SandboxTracer {
  private sequence = 0;
  private readonly exporter = proxySinks<{ exporter: OpenTelemetryWorkflowExporter }>().exporter;

  /**
   * `sequence` names spans that a replay does not recreate (queries): they must not advance the
   * counter the replayed spans' ids come from.
   */
  start(name: string, parent: SpanContext | undefined, sequence?: string): SandboxSpan {
    const { runId } = workflowInfo();
    this.sequence += sequence === undefined ? 1 : 0;
    const context: SpanContext = {
      // A root span's trace is the run's: its id is already 32 hex digits, unique and stable.
      traceId: parent?.traceId ?? runId.replace(/-/g, '').padEnd(32, '0').slice(0, 32),
      spanId: spanIdOf(runId, sequence ?? String(this.sequence)),
      // As the SDK's parent-based sampler: a root is sampled, a child follows its parent.
      traceFlags: parent ? parent.traceFlags : 1,
      ...(parent?.traceState ? { traceState: parent.traceState } : {}),
    };
    const startMs = Date.now();
    const attributes: Record<string, string> = {};
    let ended = false;
    return {
      context,
      setAttribute: (key, value) => {
        attributes[key] = value;
      },
      end: (error?: unknown) => {
        if (ended) return;
        ended = true;
        if (context.traceFlags !== 1) return;
        this.exporter.export([finished(name, context, parent, startMs, attributes, error)]);
      },
    };
  }
}

function finished(
  name: string,
  context: SpanContext,
  parent: SpanContext | undefined,
  startMs: number,
  attributes: Record<string, string>,
  error: unknown,
): SerializableSpan {
  const endMs = Date.now();
  const benign = error instanceof ApplicationFailure && error.category === ApplicationFailureCategory.BENIGN;
  const message = error instanceof Error ? error.message : String(error);
  const failed = error !== undefined && !benign;
  return {
    name,
    kind: SPAN_KIND_INTERNAL,
    spanContext: context,
    ...(parent ? { parentSpanId: parent.spanId } : {}),
    startTime: hrTimeOf(startMs),
    endTime: hrTimeOf(endMs),
    status:
      error === undefined
        ? { code: STATUS_OK }
        : failed
          ? { code: STATUS_ERROR, message }
          : { code: STATUS_UNSET },
    attributes,
    links: [],
    events: failed
      ? [
          {
            name: 'exception',
            time: hrTimeOf(endMs),
            attributes: {
              'exception.type': error instanceof Error ? error.name : typeof error,
              'exception.message': message,
            },
          },
        ]
      : [],
    duration: hrTimeOf(endMs - startMs),
    ended: true,
    droppedAttributesCount: 0,
    droppedLinksCount: 0,
    droppedEventsCount: 0,
    instrumentationLibrary: SCOPE,
  };
}
