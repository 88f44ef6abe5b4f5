import type { TelemetryOptions } from '@temporalio/worker';
import type { Logger } from '../logger';

const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * The Temporal SDK's own worker metrics (schedule-to-start latency, task slots, poll and
 * activation counts) come from its Rust core, which serves them on a Prometheus endpoint of its
 * own. The worker's /metrics appends that text, so one scrape target per process has both.
 */
export function temporalSdkTelemetry(host: string, port: number): TelemetryOptions {
  return {
    metrics: {
      prometheus: {
        bindAddress: hostPort(host, port),
        countersTotalSuffix: true,
        useSecondsForDurations: true,
      },
    },
  };
}

/** The core's exposition text; empty (and a warning) when it cannot be read, so our own still answer. */
export function temporalSdkMetricsReader(host: string, port: number, logger: Logger): () => Promise<string> {
  const url = `http://${hostPort(host, port)}/metrics`;
  return async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return response.ok ? await response.text() : '';
    } catch (error) {
      logger.warn({ err: error }, 'Temporal SDK metrics unreadable');
      return '';
    }
  };
}
