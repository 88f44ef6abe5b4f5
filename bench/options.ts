import { doublingLevels } from './load/closed-loop';

export const BENCH_PARTS = ['ceiling', 'saga', 'declines', 'http', 'cdc', 'memory'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/** What a person can set on the command line; everything else follows from it. */
export interface BenchFlags {
  quick?: boolean;
  duration?: number;
  maxConcurrency?: number;
  skip?: BenchPart[];
  rate?: number;
  pollMs?: number;
  settleTimeout?: number;
  connections?: number;
  out?: string;
  keepOrders?: boolean;
  apiUrl?: string;
}

export interface BenchOptions {
  quick: boolean;
  skip: BenchPart[];
  /** Seconds of each measured step: a concurrency level, an open-loop phase, an HTTP target. */
  durationSeconds: number;
  concurrencies: number[];
  /** A level that gains less than this over the best so far ends the climb (0.05: 5 %). */
  minGain: number;
  /** Open-loop arrivals per second; default half the saga's saturation rate. */
  openLoopRate: number | null;
  /** Upper bounds on orders and workflows, whatever the duration. */
  maxTasksPerLevel: number;
  maxOpenLoopOrders: number;
  maxInFlight: number;
  pollMs: number;
  settleTimeoutSeconds: number;
  workflowTimeoutSeconds: number;
  httpConnections: number;
  httpWarmupSeconds: number;
  httpRounds: number;
  cdc: { rate: number; warmupSeconds: number; rows: number; graceSeconds: number; connections: number };
  outDir: string;
  keepOrders: boolean;
  apiUrl: string;
}

export function benchOptions(flags: BenchFlags, defaultApiUrl: string): BenchOptions {
  const quick = flags.quick ?? false;
  const durationSeconds = flags.duration ?? (quick ? 2 : 10);
  const maxConcurrency = flags.maxConcurrency ?? (quick ? 8 : 128);
  return {
    quick,
    skip: flags.skip ?? [],
    durationSeconds,
    concurrencies: doublingLevels(Math.min(4, maxConcurrency), maxConcurrency),
    minGain: 0.05,
    openLoopRate: flags.rate ?? null,
    maxTasksPerLevel: quick ? 200 : 10_000,
    maxOpenLoopOrders: quick ? 12 : 2000,
    maxInFlight: 1000,
    pollMs: flags.pollMs ?? 50,
    settleTimeoutSeconds: flags.settleTimeout ?? 60,
    workflowTimeoutSeconds: 60,
    httpConnections: flags.connections ?? 10,
    httpWarmupSeconds: quick ? 1 : 3,
    httpRounds: quick ? 1 : 3,
    cdc: quick
      ? { rate: 100, warmupSeconds: 0, rows: 20, graceSeconds: 15, connections: 4 }
      : { rate: 500, warmupSeconds: 5, rows: 200, graceSeconds: 20, connections: 16 },
    outDir: flags.out ?? 'bench/results',
    keepOrders: flags.keepOrders ?? false,
    apiUrl: (flags.apiUrl ?? defaultApiUrl).replace(/\/+$/, ''),
  };
}
