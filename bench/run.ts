/**
 * `trackops bench`: one run of every part against the running stack, in this order (each part
 * alone on the stack): the Temporal ceiling, the saga (saturation, then an open loop at half that
 * rate), declines (the compensation path) at the same rate, GET /api/orders/{id} cached vs uncached
 * vs bare express, CDC lag, and the resident memory of every component at rest and at the peak
 * of each part. The app is driven over HTTP only; Temporal only through the bench's own workflow.
 */
import { randomBytes } from 'node:crypto';
import { appEnvironment } from '../deploy/stack/components/app-process';
import { createStackContext } from '../deploy/stack/context';
import { repoRoot } from '../deploy/stack/paths';
import { loadConfig } from '../lib/config';
import { measureCdcLag } from './cdc/measure-lag';
import { runCeiling } from './ceiling/run-ceiling';
import { runHttpLoad } from './http/http-load';
import { closedLoop } from './load/closed-loop';
import { gitInfo, machineInfo } from './machine';
import { BENCH_METHODS } from './methods';
import { memorySnapshot, PeakMemorySampler, totalMiB, type MemorySnapshot } from './memory';
import type { BenchOptions, BenchPart } from './options';
import { ratiosOf, writeReport, type BenchReport, type PartResult } from './report';
import { BENCH_PRODUCT_ID, ensureBenchStock } from './saga/bench-stock';
import { cancelOpenOrders } from './saga/cleanup';
import { PAYMENT_METHODS, placeAndSettle, type OrderClient } from './saga/order-client';
import { runOrderOpenLoop, runSagaSaturation, type OrderLedger } from './saga/saga-load';
import { summaryText } from './summary';

export interface BenchRun {
  report: BenchReport;
  file: string;
  summary: string;
  /** Some part did not finish. */
  failed: boolean;
}

/** Enough stock for the largest run the bounds allow, with room to spare. */
const STOCK_NEEDED = 100_000;
/** The HTTP part reads this many orders (the last confirmed ones), placing a few itself if need be. */
const HTTP_ORDERS = { max: 200, min: 10 };

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

function peakOf(snapshots: MemorySnapshot[]): MemorySnapshot {
  const peak: MemorySnapshot = {};
  for (const snapshot of snapshots)
    for (const [name, m] of Object.entries(snapshot))
      if (!peak[name] || (m && m.rssMiB > (peak[name]?.rssMiB ?? 0))) peak[name] = m;
  return peak;
}

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchRun> {
  const ctx = createStackContext(process.env, true);
  const appEnv = appEnvironment(ctx);
  const config = loadConfig(appEnv);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const started = new Date();
  const machine = machineInfo();
  const wants = (part: BenchPart) => !options.skip.includes(part);
  const atRest = wants('memory') ? memorySnapshot(ctx) : {};
  const peaks: Partial<Record<BenchPart, MemorySnapshot>> = {};
  const parts: BenchReport['parts'] = {};
  const ledger: OrderLedger = [];
  const stepMs = options.durationSeconds * 1000;
  const client: OrderClient = {
    apiUrl: options.apiUrl,
    productId: BENCH_PRODUCT_ID,
    customerId: `bench-${runId}`,
    pollMs: options.pollMs,
    postTimeoutMs: 30_000,
    settleTimeoutMs: options.settleTimeoutSeconds * 1000,
  };
  const openLoopCount = (rate: number) =>
    Math.min(options.maxOpenLoopOrders, Math.max(3, Math.round(rate * options.durationSeconds)));

  const run = async <T extends object>(part: BenchPart, work: () => Promise<T>): Promise<PartResult<T>> => {
    log(`--- ${part}`);
    const sampler = wants('memory') ? new PeakMemorySampler(ctx) : undefined;
    sampler?.start();
    const began = performance.now();
    const seconds = () => Math.round((performance.now() - began) / 100) / 10;
    try {
      const result = await work();
      return { ok: true, elapsedSeconds: seconds(), ...result };
    } catch (error) {
      log(`${part} failed: ${describe(error)}`);
      return { ok: false, elapsedSeconds: seconds(), error: describe(error) };
    } finally {
      if (sampler) peaks[part] = sampler.stop();
    }
  };

  if (wants('saga') || wants('declines') || wants('http')) {
    const stock = await ensureBenchStock(options.apiUrl, STOCK_NEEDED).catch((error: unknown) => {
      throw new Error(`the API at ${options.apiUrl} (is the stack up?): ${describe(error)}`);
    });
    log(`stock: ${stock} units of ${BENCH_PRODUCT_ID} available`);
  }

  if (wants('ceiling')) {
    parts.ceiling = await run('ceiling', () =>
      runCeiling({
        temporalAddress: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        runId,
        concurrencies: options.concurrencies,
        levelMs: stepMs,
        maxWorkflowsPerLevel: options.maxTasksPerLevel,
        workflowTimeoutMs: options.workflowTimeoutSeconds * 1000,
        minGain: options.minGain,
        log,
      }),
    );
  }

  let openLoopRate = options.openLoopRate;
  if (wants('saga')) {
    parts.saga = await run('saga', async () => {
      const saturation = await runSagaSaturation(
        client,
        {
          concurrencies: options.concurrencies,
          levelMs: stepMs,
          maxOrdersPerLevel: options.maxTasksPerLevel,
          minGain: options.minGain,
          log,
        },
        ledger,
      );
      const rate =
        openLoopRate ?? Math.max(0.5, Math.round(saturation.saturation.confirmedPerSecond * 5) / 10);
      openLoopRate = rate;
      log(`  open loop at ${rate}/s (half the saturation rate unless --rate)`);
      const openLoop = await runOrderOpenLoop(
        client,
        {
          ratePerSecond: rate,
          count: openLoopCount(rate),
          maxInFlight: options.maxInFlight,
          paymentMethod: PAYMENT_METHODS.approved,
          expected: 'confirmed',
        },
        ledger,
      );
      return { ...saturation, openLoop };
    });
  }

  if (wants('declines')) {
    parts.declines = await run('declines', async () => {
      if (openLoopRate === null) throw new Error('no rate: give --rate, or let the saga part measure one');
      log(`  declined payments (${PAYMENT_METHODS.declined}) at ${openLoopRate}/s`);
      return runOrderOpenLoop(
        client,
        {
          ratePerSecond: openLoopRate,
          count: openLoopCount(openLoopRate),
          maxInFlight: options.maxInFlight,
          paymentMethod: PAYMENT_METHODS.declined,
          expected: 'cancelled',
        },
        ledger,
      );
    });
  }

  const confirmedIds = () =>
    ledger.flatMap((r) => (r.outcome === 'confirmed' && r.orderId ? [r.orderId] : []));
  if (wants('http')) {
    parts.http = await run('http', async () => {
      if (confirmedIds().length < HTTP_ORDERS.min) {
        log(`  placing ${HTTP_ORDERS.min} orders to read`);
        const placed = await closedLoop({
          concurrency: 5,
          durationMs: stepMs,
          maxCount: HTTP_ORDERS.min,
          task: () => placeAndSettle(client, PAYMENT_METHODS.approved),
        });
        ledger.push(...placed.runs.map((r) => r.result));
      }
      return runHttpLoad({
        apiUrl: options.apiUrl,
        appEnv,
        orderIds: confirmedIds().slice(-HTTP_ORDERS.max),
        connections: options.httpConnections,
        seconds: options.durationSeconds,
        rounds: options.httpRounds,
        warmupSeconds: options.httpWarmupSeconds,
        readyTimeoutMs: 90_000,
        log,
      });
    });
  }

  if (wants('cdc')) {
    parts.cdc = await run('cdc', () =>
      measureCdcLag(config, {
        ...options.cdc,
        seconds: options.durationSeconds,
        log: (line) => log(`  ${line}`),
      }),
    );
  }

  if (wants('memory')) {
    const underLoad = peakOf(Object.values(peaks));
    parts.memory = {
      ok: true,
      elapsedSeconds: 0,
      atRest,
      underLoad,
      peakByPart: peaks,
      totalsMiB: { atRest: totalMiB(atRest), underLoad: totalMiB(underLoad) },
      note:
        'VmRSS from /proc/<pid>/status of the pid in each pid file and all its descendants; shared pages ' +
        'count once per process, so postgres (shared buffers in every backend) is an upper bound. ' +
        'At rest: before the first part; under load: the largest sample (every second) during any part.',
    };
  }

  const open = confirmedIds();
  let cleanup: BenchReport['cleanup'] = null;
  if (!options.keepOrders && open.length > 0) {
    log(`--- cleanup: cancelling ${open.length} confirmed bench orders`);
    cleanup = await cancelOpenOrders(options.apiUrl, open);
  }

  const finished = new Date();
  const report: BenchReport = {
    schemaVersion: 1,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
    git: gitInfo(repoRoot),
    machine,
    options,
    addresses: {
      api: options.apiUrl,
      temporal: config.TEMPORAL_ADDRESS,
      temporalNamespace: config.TEMPORAL_NAMESPACE,
      kafka: config.KAFKA_BROKERS,
    },
    ratios: ratiosOf(parts),
    methods: BENCH_METHODS,
    parts,
    cleanup,
  };
  const file = await writeReport(report, options.outDir);
  return {
    report,
    file,
    summary: summaryText(report, file),
    failed: Object.values(parts).some((p) => !p.ok),
  };
}
