import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

/** What the preload started, for the parts that need it by hand (the workflow span sink). */
export interface TelemetryRuntime {
  resource: Resource;
  spanProcessor: SpanProcessor;
  shutdown: () => Promise<void>;
}

// A global, not a module variable: the preload is loaded by `--import` and the app by require, and
// the two loaders may each hold their own copy of this module.
const RUNTIME_KEY = Symbol.for('trackops.telemetry.runtime');

type WithRuntime = typeof globalThis & { [RUNTIME_KEY]?: TelemetryRuntime };

export function setTelemetryRuntime(runtime: TelemetryRuntime): void {
  (globalThis as WithRuntime)[RUNTIME_KEY] = runtime;
}

/** Undefined when the process runs without the preload (unit tests, scripts) or with export off. */
export function telemetryRuntime(): TelemetryRuntime | undefined {
  return (globalThis as WithRuntime)[RUNTIME_KEY];
}

/** How long an exiting process waits for its last spans to be exported. */
const FLUSH_TIMEOUT_MS = 3000;

/**
 * Exports the spans still batched, before a process ends with process.exit (which skips the
 * preload's `beforeExit`), waiting at most a few seconds for an exporter that does not answer.
 */
export async function flushTelemetry(): Promise<void> {
  const runtime = telemetryRuntime();
  if (!runtime) return;
  await Promise.race([
    runtime.shutdown(),
    new Promise<void>((resolve) => setTimeout(resolve, FLUSH_TIMEOUT_MS).unref()),
  ]);
}
