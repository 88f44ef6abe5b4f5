import type { CeilingLevel } from './ceiling/run-ceiling';
import type { MemorySnapshot } from './memory';
import type { BenchReport, PartResult } from './report';
import type { OpenLoopResult, SagaLevel } from './saga/saga-load';
import type { LatencySummary } from './stats';

const ms = (s: LatencySummary) =>
  [s.p50, s.p95, s.p99].map((v) => (v === null ? '-' : v.toFixed(0))).join('/');

const levels = (all: (CeilingLevel | SagaLevel)[]) =>
  all.map((l) => `${l.concurrency}: ${l.perSecond.toFixed(1)}`).join(', ');

function part<T>(label: string, result: PartResult<T> | undefined, body: (r: T) => string[]): string[] {
  const head = label.padEnd(10);
  if (!result) return [`${head}skipped`];
  if (!result.ok) return [`${head}FAILED after ${result.elapsedSeconds} s: ${result.error}`];
  const [first = '', ...rest] = body(result);
  return [`${head}${first}`, ...rest.map((line) => `${' '.repeat(10)}${line}`)];
}

function openLoopLines(r: OpenLoopResult, settled: string): string[] {
  const outcome = r.expected === 'confirmed' ? r.confirmed : r.cancelled;
  const failures = [
    r.timeouts && `${r.timeouts} timed out`,
    r.rejected && `${r.rejected} rejected`,
    r.errors && `${r.errors} failed`,
    r.unexpected && `${r.unexpected} ${r.expected === 'confirmed' ? 'cancelled' : 'confirmed'}`,
    r.skipped && `${r.skipped} arrivals skipped`,
  ].filter(Boolean);
  return [
    `open loop ${r.ratePerSecond}/s, ${r.orders} orders: POST p50/p95/p99 ${ms(r.postMs)} ms, ` +
      `POST -> ${settled} ${ms(r.settleMs)} ms`,
    `${outcome} ${r.expected}${failures.length ? `, ${failures.join(', ')}` : ''}` +
      (r.failureSamples.length ? ` (${r.failureSamples[0]})` : ''),
  ];
}

function memoryLines(atRest: MemorySnapshot, underLoad: MemorySnapshot): string[] {
  const names = Object.keys(atRest);
  const cell = (m: MemorySnapshot, name: string) => (m[name]?.rssMiB.toFixed(0) ?? '-').padStart(10);
  const total = (m: MemorySnapshot) =>
    Object.values(m)
      .reduce((sum, p) => sum + (p?.rssMiB ?? 0), 0)
      .toFixed(0)
      .padStart(10);
  return [
    `RSS MiB   ${names.map((n) => n.padStart(10)).join('')}${'total'.padStart(10)}`,
    `at rest   ${names.map((n) => cell(atRest, n)).join('')}${total(atRest)}`,
    `load peak ${names.map((n) => cell(underLoad, n)).join('')}${total(underLoad)}`,
  ];
}

/** The report in a few lines, for the person who ran the bench. */
export function summaryText(report: BenchReport, file: string): string {
  const { parts, ratios, machine, git } = report;
  const f = (v: number | null, digits = 2) => (v === null ? '-' : v.toFixed(digits));
  const lines = [
    `trackops bench ${report.options.quick ? '--quick ' : ''}${report.startedAt}, ${report.seconds} s: ` +
      `${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}, ` +
      `commit ${git.commit?.slice(0, 10) ?? '?'}${git.dirty ? ' (dirty)' : ''}`,
    ...part('ceiling', parts.ceiling, (r) => [
      `${r.saturation.workflowsPerSecond.toFixed(1)} workflows/s (${r.activitiesPerWorkflow} no-op activities) ` +
        `at ${r.saturation.concurrency} clients; by clients ${levels(r.levels)}`,
    ]),
    ...part('saga', parts.saga, (r) => [
      `${r.saturation.confirmedPerSecond.toFixed(1)} CONFIRMED orders/s at ${r.saturation.concurrency} clients; ` +
        `by clients ${levels(r.levels)}`,
      ...openLoopLines(r.openLoop, 'CONFIRMED'),
    ]),
    ...part('declines', parts.declines, (r) => openLoopLines(r, 'CANCELLED')),
    ...part('http', parts.http, (r) =>
      [r.cached, r.uncached, r.bareExpress].map(
        (t, i) =>
          `${['cached', 'uncached', 'bare'][i]?.padEnd(9)}${t.requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
          `p50 ${t.latencyMs.p50} ms  p99 ${t.latencyMs.p99} ms  (${r.connections} connections, ${r.rounds} x ${r.secondsPerRound} s)` +
          (t.non2xx + t.errors > 0 ? `  ${t.non2xx} non-2xx, ${t.errors} errors` : ''),
      ),
    ),
    ...part('cdc lag', parts.cdc, (r) => [
      `${r.achievedPerSecond}/s updates: commit -> cache p50/p95/p99 ${ms(r.commitToCacheMs)} ms, ` +
        `-> Kafka ${ms(r.commitToKafkaMs)} ms, lost ${r.lost}`,
    ]),
    ...part('memory', parts.memory, (r) => memoryLines(r.atRest, r.underLoad)),
    `ratios    saga/ceiling ${f(ratios.sagaToCeiling, 3)}  cached/bare express ${f(ratios.cachedGetToBareExpress, 3)}  ` +
      `cached/uncached ${f(ratios.cachedGetToUncached, 3)}  ceiling ${f(ratios.ceilingWorkflowsPerSecond, 1)} workflows/s`,
  ];
  if (report.cleanup)
    lines.push(
      `cleanup   ${report.cleanup.cancelRequested} of ${report.cleanup.openOrders} confirmed bench orders cancelled ` +
        `in ${report.cleanup.seconds} s`,
    );
  lines.push(`report    ${file} (also latest.json)`);
  return lines.join('\n');
}
