import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

/** The local stack's Zipkin (deploy/stack/components/zipkin.ts) on its default port. */
export const DEFAULT_ZIPKIN_SPANS_URL = 'http://127.0.0.1:9411/api/v2/spans';

export type ExporterChoice =
  { kind: 'otlp'; endpoint: string } | { kind: 'zipkin'; url: string } | { kind: 'none' };

/**
 * OTLP when the standard variables name an endpoint (a collector, Jaeger, Tempo, a vendor);
 * otherwise Zipkin, which the local stack runs; `OTEL_TRACES_EXPORTER=none` turns export off.
 */
export function chooseExporter(env: NodeJS.ProcessEnv): ExporterChoice {
  if (env.OTEL_TRACES_EXPORTER === 'none') return { kind: 'none' };
  const otlp = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (otlp && env.OTEL_TRACES_EXPORTER !== 'zipkin') return { kind: 'otlp', endpoint: otlp };
  return { kind: 'zipkin', url: env.OTEL_EXPORTER_ZIPKIN_ENDPOINT ?? zipkinSpansUrl(env) };
}

function zipkinSpansUrl(env: NodeJS.ProcessEnv): string {
  return env.ZIPKIN_PORT ? `http://127.0.0.1:${env.ZIPKIN_PORT}/api/v2/spans` : DEFAULT_ZIPKIN_SPANS_URL;
}

/** The exporter for a choice; the OTLP one reads its headers, protocol and timeout from the environment. */
export function createExporter(choice: ExporterChoice, serviceName: string): SpanExporter | undefined {
  switch (choice.kind) {
    case 'otlp':
      return new OTLPTraceExporter();
    case 'zipkin':
      return new ZipkinExporter({ url: choice.url, serviceName });
    case 'none':
      return undefined;
  }
}
