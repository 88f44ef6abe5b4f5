import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import type { CdcLagResult } from './cdc/measure-lag';
import type { CeilingResult } from './ceiling/run-ceiling';
import type { HttpLoadResult } from './http/http-load';
import type { GitInfo, MachineInfo } from './machine';
import type { BENCH_METHODS } from './methods';
import type { MemorySnapshot } from './memory';
import type { BenchOptions, BenchPart } from './options';
import type { CleanupResult } from './saga/cleanup';
import type { OpenLoopResult, SagaSaturation } from './saga/saga-load';

/** A part that ran, or why it did not finish. */
export type PartResult<T> =
  ({ ok: true; elapsedSeconds: number } & T) | { ok: false; elapsedSeconds: number; error: string };

export interface MemoryResult {
  atRest: MemorySnapshot;
  /** The peak of each component over all the load parts. */
  underLoad: MemorySnapshot;
  /** The peak of each component during each load part. */
  peakByPart: Partial<Record<BenchPart, MemorySnapshot>>;
  totalsMiB: { atRest: number; underLoad: number };
  note: string;
}

export interface Ratios {
  /** Saga CONFIRMED orders/s at saturation ÷ ceiling workflows/s at saturation. */
  sagaToCeiling: number | null;
  /** Cached GET /api/orders/{id} req/s ÷ a bare express app's req/s for the same bodies. */
  cachedGetToBareExpress: number | null;
  /** Cached GET req/s ÷ the same API with the cache disabled. */
  cachedGetToUncached: number | null;
  ceilingWorkflowsPerSecond: number | null;
}

export interface BenchReport {
  schemaVersion: 1;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  git: GitInfo;
  machine: MachineInfo;
  options: BenchOptions;
  addresses: { api: string; temporal: string; temporalNamespace: string; kafka: string };
  ratios: Ratios;
  methods: typeof BENCH_METHODS;
  parts: {
    ceiling?: PartResult<CeilingResult>;
    saga?: PartResult<SagaSaturation & { openLoop: OpenLoopResult }>;
    declines?: PartResult<OpenLoopResult>;
    http?: PartResult<HttpLoadResult>;
    cdc?: PartResult<CdcLagResult>;
    memory?: PartResult<MemoryResult>;
  };
  cleanup: CleanupResult | null;
}

const ratio = (numerator: number | undefined, denominator: number | undefined) =>
  numerator !== undefined && denominator !== undefined && denominator > 0
    ? Math.round((numerator / denominator) * 1000) / 1000
    : null;

export function ratiosOf(parts: BenchReport['parts']): Ratios {
  const ceiling = parts.ceiling?.ok ? parts.ceiling.saturation.workflowsPerSecond : undefined;
  const saga = parts.saga?.ok ? parts.saga.saturation.confirmedPerSecond : undefined;
  const http = parts.http?.ok ? parts.http : undefined;
  return {
    sagaToCeiling: ratio(saga, ceiling),
    cachedGetToBareExpress: ratio(http?.cached.requestsPerSecond, http?.bareExpress.requestsPerSecond),
    cachedGetToUncached: ratio(http?.cached.requestsPerSecond, http?.uncached.requestsPerSecond),
    ceilingWorkflowsPerSecond: ceiling ?? null,
  };
}

/** Writes `<outDir>/<timestamp>.json` and `<outDir>/latest.json`, formatted as the repository's prettier does. */
export async function writeReport(report: BenchReport, outDir: string): Promise<string> {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = path.join(outDir, `${stamp}.json`);
  const latest = path.join(outDir, 'latest.json');
  const style = (await prettier.resolveConfig(latest)) ?? {};
  const text = await prettier.format(JSON.stringify(report), { ...style, parser: 'json' });
  fs.writeFileSync(file, text);
  fs.writeFileSync(latest, text);
  return file;
}
