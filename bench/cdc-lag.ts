/**
 * CDC cache lag: commit of an orders row -> the cache entry holding that version (or a newer one),
 * at a steady rate of row changes, through Debezium, Kafka and the running `trackops-cache`
 * consumer. Prints a report; asserts nothing. The measurement is bench/cdc/measure-lag.ts, which
 * `trackops bench` runs too.
 *
 *   npx tsx bench/cdc-lag.ts [--rate 500] [--seconds 20] [--warmup 20] [--rows 200] [--grace 20]
 *                            [--connections 16] [--debezium-poll-ms 10]
 *
 * It inserts --rows orders of its own (customer id `bench-cdclag-...`, no items), waits until the
 * consumer has warmed them, then updates them round robin (version + 1 and delivery_instructions,
 * as the application's optimistic lock does) at --rate per second for --seconds, each update its
 * own transaction, after --warmup seconds of the same load that are not measured (a process that
 * was started a moment ago is still compiling its hot paths and sizing its heap). Clocks, all on
 * this host: the start is the database's clock_timestamp() at the UPDATE (just before its commit);
 * the end is Redis's clock in the consumer's `cache:warmed <key> <version> <ms>` message for that
 * version or a newer one (a warm that loads the row after a later update stores the later version,
 * which covers both). So this process's own event-loop delays do not enter the numbers. Updates
 * never seen in the cache within --grace seconds after the last one are "lost"; the report also
 * checks those keys directly in Redis. A side consumer reads the records' Kafka timestamps (set by
 * Connect's producer) to split the lag into commit -> record in Kafka and the rest. The orders are
 * deleted at the end.
 *
 * What-if (nothing in the repository changes): --debezium-poll-ms N sets poll.interval.ms of the
 * running trackops-orders connector to N for the run (Connect restarts its task; streaming resumes
 * from its offset, so the run waits 15 s for the replayed tail to pass) and PUTs the original
 * config back afterwards.
 */
import { loadConfig } from '../lib/config';
import { measureCdcLag, type CdcLagResult } from './cdc/measure-lag';
import type { LatencySummary } from './stats';

function arg(name: string, fallback: number, { zeroAllowed = false } = {}): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new Error(`--${name} must be a positive number${zeroAllowed ? ' or zero' : ''}`);
  }
  return value;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

function line(label: string, s: LatencySummary): string {
  const f = (v: number | null) => (v === null ? '     -' : v.toFixed(0).padStart(6));
  return `${label.padEnd(28)} n=${String(s.count).padStart(6)}  p50 ${f(s.p50)}  p95 ${f(s.p95)}  p99 ${f(
    s.p99,
  )}  max ${f(s.max)}  ms`;
}

/** The report as this script has always printed it. */
export function printCdcLag(result: CdcLagResult): void {
  out();
  out(
    `updates issued               ${result.issued} in ${result.loadSeconds.toFixed(2)} s, ${result.failed} failed`,
  );
  out(`updates committed            ${result.committed} (${result.achievedPerSecond.toFixed(1)}/s achieved)`);
  out(`scheduler max behind         ${result.schedulerMaxBehindMs} ms`);
  out(line('commit -> cache updated', result.commitToCacheMs));
  out(line('commit -> record in Kafka', result.commitToKafkaMs));
  out(
    `lost (no warm >= its version within ${result.graceSeconds} s): ${result.lost}` +
      (result.lost > 0
        ? ` (${result.lostButCached} of them are in Redis, only the notification is missing)`
        : ''),
  );
  out(`drain after the last commit  ${result.drainSeconds.toFixed(2)} s`);
  out(
    `cache consumer's committed offsets behind the orders topic now: ${result.consumerOffsetsBehind ?? 'NaN'}`,
  );
  out('by commit time (2 s windows):');
  for (const w of result.windows) {
    out(
      line(
        `  ${w.fromSeconds.toFixed(0).padStart(3)}-${(w.fromSeconds + 2).toFixed(0)} s`,
        w.commitToCacheMs,
      ),
    );
  }
  const measured = Math.max(1, result.commitToCacheMs.count);
  out(
    `over 200 ms                  ${result.over200Ms} (${((100 * result.over200Ms) / measured).toFixed(1)} %)`,
  );
  out(
    `target p99 < 200 ms at ${result.rate}/s: ${result.targetMet ? 'MET' : 'MISSED'} ` +
      `(p99 ${result.commitToCacheMs.p99?.toFixed(0) ?? 'NaN'} ms)`,
  );
}

if (require.main === module) {
  measureCdcLag(loadConfig(), {
    rate: arg('rate', 500),
    seconds: arg('seconds', 20),
    rows: Math.round(arg('rows', 200)),
    graceSeconds: arg('grace', 20),
    warmupSeconds: arg('warmup', 20, { zeroAllowed: true }),
    connections: Math.round(arg('connections', 16)),
    debeziumPollMs: process.argv.includes('--debezium-poll-ms') ? arg('debezium-poll-ms', 500) : undefined,
    log: out,
  }).then(printCdcLag, (error: unknown) => {
    process.stderr.write(`cdc-lag failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
