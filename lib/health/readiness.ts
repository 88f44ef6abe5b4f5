/*
 * Readiness: what a process needs to serve, each dependency with its status and latency. A
 * dependency marked optional (Kafka Connect for the API: writes still work without CDC) makes the
 * process DEGRADED, not unready. Failure messages go to the log, never into the answer: a 503 body
 * is read by whoever can reach the port and must not describe the infrastructure behind it.
 */
import type { Logger } from '../logger';

export const PROBE_TIMEOUT_MS = 2000;

export interface Probe {
  /** Resolves (with optional detail worth showing, e.g. a server version) when the dependency works. */
  check: () => Promise<unknown>;
  /** Down means degraded, not unready. */
  optional?: boolean;
}

export interface DependencyHealth {
  status: 'UP' | 'DOWN';
  latencyMs: number;
  optional: boolean;
  detail?: unknown;
}

export type OverallStatus = 'UP' | 'DEGRADED' | 'DOWN';

export interface ReadinessReport {
  status: OverallStatus;
  checks: Record<string, DependencyHealth>;
}

async function run(name: string, probe: Probe, logger: Logger): Promise<DependencyHealth> {
  const started = performance.now();
  const optional = probe.optional ?? false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      probe.check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${PROBE_TIMEOUT_MS} ms`)),
          PROBE_TIMEOUT_MS,
        );
      }),
    ]);
    const latencyMs = Math.round(performance.now() - started);
    return { status: 'UP', latencyMs, optional, ...(detail === undefined ? {} : { detail }) };
  } catch (error) {
    logger.warn({ dependency: name, err: error }, 'readiness check failed');
    return { status: 'DOWN', latencyMs: Math.round(performance.now() - started), optional };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every probe at once; the answer's HTTP status is 503 only when the process is DOWN. */
export async function checkReadiness(
  probes: Record<string, Probe>,
  logger: Logger,
): Promise<ReadinessReport> {
  const checks = Object.fromEntries(
    await Promise.all(
      Object.entries(probes).map(async ([name, probe]) => [name, await run(name, probe, logger)] as const),
    ),
  );
  const down = Object.values(checks).filter((c) => c.status === 'DOWN');
  const status: OverallStatus =
    down.length === 0 ? 'UP' : down.every((c) => c.optional) ? 'DEGRADED' : 'DOWN';
  return { status, checks };
}

export const httpStatusOf = (report: ReadinessReport): number => (report.status === 'DOWN' ? 503 : 200);

/** Spring Boot Actuator's shape, which the seed's `/actuator/health` answered with. */
export function actuatorShape(report: ReadinessReport): {
  status: OverallStatus;
  components: Record<string, { status: 'UP' | 'DOWN'; details: Record<string, unknown> }>;
} {
  return {
    status: report.status,
    components: Object.fromEntries(
      Object.entries(report.checks).map(([name, { status, ...details }]) => [name, { status, details }]),
    ),
  };
}
