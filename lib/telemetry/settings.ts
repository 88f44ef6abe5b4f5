/**
 * The standard OpenTelemetry variables (and ours, DEPLOYMENT_ENVIRONMENT) that the preload reads
 * and a deployment sets beside lib/config.ts's settings: where spans go (OTLP, or Zipkin when no
 * OTLP endpoint is set) and how many traces are kept. Every other OTEL_* variable works as the SDK
 * documents it.
 */
export const TELEMETRY_SETTINGS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'DEPLOYMENT_ENVIRONMENT',
] as const;
