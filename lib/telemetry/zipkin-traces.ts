/** Reading traces back from Zipkin's v2 API (the local stack's trace backend). */

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: string;
  /** Microseconds since the epoch. */
  timestamp?: number;
  /** Microseconds. */
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

export function zipkinBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZIPKIN_URL ?? `http://127.0.0.1:${env.ZIPKIN_PORT ?? '9411'}`;
}

async function zipkinJson<T>(baseUrl: string, pathAndQuery: string): Promise<T> {
  const response = await fetch(`${baseUrl}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`Zipkin ${pathAndQuery}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Every trace in which a span names the order's workflow (`temporalWorkflowId`, set by Temporal's
 * interceptors on the client call that starts, updates or signals it and on the workflow's own
 * spans), oldest first: the placement, then each later request or signal about the order.
 */
export async function tracesOfOrder(
  orderId: string,
  options: { baseUrl?: string; lookbackMs?: number; limit?: number } = {},
): Promise<ZipkinSpan[][]> {
  const query = new URLSearchParams({
    annotationQuery: `temporalWorkflowId=order-${orderId}`,
    lookback: String(options.lookbackMs ?? 7 * 24 * 3_600_000),
    endTs: String(Date.now()),
    limit: String(options.limit ?? 50),
  });
  const traces = await zipkinJson<ZipkinSpan[][]>(
    options.baseUrl ?? zipkinBaseUrl(),
    `/api/v2/traces?${query.toString()}`,
  );
  const startOf = (spans: ZipkinSpan[]) => Math.min(...spans.map((span) => span.timestamp ?? Infinity));
  return traces.sort((a, b) => startOf(a) - startOf(b));
}

/** Zipkin's trace search (`/api/v2/traces`) with the given parameters, as its UI would ask it. */
export function searchTraces(
  query: Record<string, string>,
  baseUrl = zipkinBaseUrl(),
): Promise<ZipkinSpan[][]> {
  return zipkinJson<ZipkinSpan[][]>(baseUrl, `/api/v2/traces?${new URLSearchParams(query).toString()}`);
}

export async function traceById(traceId: string, baseUrl = zipkinBaseUrl()): Promise<ZipkinSpan[]> {
  return zipkinJson<ZipkinSpan[]>(baseUrl, `/api/v2/trace/${traceId}`);
}

function formatDuration(micros: number | undefined): string {
  if (micros === undefined) return '?';
  if (micros < 1000) return `${micros} µs`;
  if (micros < 1_000_000) return `${(micros / 1000).toFixed(1)} ms`;
  return `${(micros / 1_000_000).toFixed(2)} s`;
}

/**
 * A trace as an indented tree, children in start order: `service  span name  duration`. A span
 * whose parent is not in the trace (not exported yet, or sampled out) is shown as a root.
 */
export function renderTraceTree(spans: readonly ZipkinSpan[]): string {
  const ids = new Set(spans.map((span) => span.id));
  const children = new Map<string | undefined, ZipkinSpan[]>();
  for (const span of spans) {
    const parent = span.parentId && ids.has(span.parentId) ? span.parentId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  for (const list of children.values()) list.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
  const lines: string[] = [];
  const visit = (span: ZipkinSpan, depth: number) => {
    const service = span.localEndpoint?.serviceName ?? '?';
    lines.push(
      `${'  '.repeat(depth)}${service}  ${span.name ?? '(unnamed)'}  ${formatDuration(span.duration)}`,
    );
    for (const child of children.get(span.id) ?? []) visit(child, depth + 1);
  };
  for (const root of children.get(undefined) ?? []) visit(root, 0);
  return lines.join('\n');
}
