/**
 * The OpenTelemetry SDK, started before the app loads express, pg, ioredis or kafkajs so their
 * instrumentations can patch them: `node --require ./lib/telemetry/preload.cjs --import tsx <entry>`.
 * Sampling follows OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default: parent-based, keep all);
 * OTEL_SDK_DISABLED=true turns the whole SDK off.
 */
import { getNumberFromEnv } from '@opentelemetry/core';
import { detectResources, envDetector, hostDetector, processDetector } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { chooseExporter, createExporter } from './exporter';
import { trackopsInstrumentations } from './instrumentations';
import { trackopsResource, serviceName } from './resource';
import { setTelemetryRuntime } from './runtime';

function startTelemetry(): void {
  if (process.env.OTEL_SDK_DISABLED === 'true') return;
  const entry = process.argv[1];
  const exporter = createExporter(chooseExporter(process.env), serviceName(process.env, entry));
  if (!exporter) return;
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (the env detector) override ours.
  const configured = detectResources({ detectors: [envDetector] });
  const resource = trackopsResource(process.env, entry, configured)
    .merge(detectResources({ detectors: [processDetector, hostDetector] }))
    .merge(configured);
  // Batched off the request path; the standard OTEL_BSP_* variables tune it (defaults: 512 spans or 5 s).
  const spanProcessor = new BatchSpanProcessor({
    exporter,
    maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'),
    scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT'),
    maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
  });
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    spanProcessors: [spanProcessor],
    instrumentations: trackopsInstrumentations(),
    // Traces only: metrics are prom-client's, logs are pino's.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  const shutdown = () => sdk.shutdown().catch(() => undefined);
  setTelemetryRuntime({ resource, spanProcessor, shutdown });
  // The apps end with process.exit after their own shutdown; the last batch goes out first.
  process.once('beforeExit', () => void shutdown());
}

startTelemetry();
