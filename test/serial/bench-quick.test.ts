/**
 * `trackops bench --quick` against the running stack, as a person runs it (a child process), into a
 * directory of its own. Asserts the report's shape and that every order settled as its part meant
 * it to; never a timing, which depends on the machine and on whatever else runs on it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchReport } from '../../bench/report';

const repoRoot = path.resolve(__dirname, '..', '..');
const COMPONENTS = [
  'postgres',
  'redis',
  'kafka',
  'connect',
  'temporal',
  'worker',
  'api',
  'consumers',
  'zipkin',
  'prometheus',
];

function runQuickBench(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), 'bench', '--quick', '--out', outDir],
      { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

const positiveFinite = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;

describe('trackops bench --quick', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trackops-bench-test-'));
  let report: BenchReport;
  let output = '';

  beforeAll(async () => {
    const run = await runQuickBench(outDir);
    output = run.output;
    if (run.code !== 0) throw new Error(`bench exited ${run.code}:\n${output}`);
    report = JSON.parse(fs.readFileSync(path.join(outDir, 'latest.json'), 'utf8')) as BenchReport;
  }, 300_000);

  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('writes a timestamped report, the same as latest.json, and prints a summary', () => {
    const files = fs.readdirSync(outDir).filter((f) => f !== 'latest.json');
    expect(files).toHaveLength(1);
    expect(fs.readFileSync(path.join(outDir, files[0] as string), 'utf8')).toBe(
      fs.readFileSync(path.join(outDir, 'latest.json'), 'utf8'),
    );
    expect(output).toContain('ratios    saga/ceiling');
    expect(report.options.quick).toBe(true);
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.git.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('has every part, each finished', () => {
    expect(Object.keys(report.parts).sort()).toEqual([
      'cdc',
      'ceiling',
      'declines',
      'http',
      'memory',
      'saga',
    ]);
    for (const [name, part] of Object.entries(report.parts)) {
      expect({ name, ok: part.ok, error: part.ok ? undefined : part.error }).toEqual({ name, ok: true });
    }
  });

  it('reports the four ratios as positive finite numbers', () => {
    const checked = Object.entries(report.ratios).map(([name, value]) => [name, positiveFinite(value)]);
    expect(Object.fromEntries(checked)).toEqual({
      sagaToCeiling: true,
      cachedGetToBareExpress: true,
      cachedGetToUncached: true,
      ceilingWorkflowsPerSecond: true,
    });
  });

  it('ran the ceiling workflows to completion at every level', () => {
    const ceiling = report.parts.ceiling;
    if (!ceiling?.ok) throw new Error('no ceiling');
    expect(ceiling.levels.length).toBeGreaterThan(0);
    for (const level of ceiling.levels) {
      expect(level.completed).toBeGreaterThan(0);
      expect(level).toMatchObject({ completed: level.started, timeouts: 0, failed: 0 });
    }
  });

  it('settled every saga order as CONFIRMED, at saturation and in the open loop', () => {
    const saga = report.parts.saga;
    if (!saga?.ok) throw new Error('no saga');
    for (const stats of [...saga.levels, saga.openLoop]) {
      expect(stats.orders).toBeGreaterThan(0);
      expect(stats).toMatchObject({
        confirmed: stats.orders,
        cancelled: 0,
        timeouts: 0,
        rejected: 0,
        errors: 0,
      });
      expect(stats.settleMs.count).toBe(stats.orders);
    }
    expect(saga.openLoop.skipped).toBe(0);
  });

  it('settled every declined order as CANCELLED for PAYMENT_DECLINED', () => {
    const declines = report.parts.declines;
    if (!declines?.ok) throw new Error('no declines');
    expect(declines.orders).toBeGreaterThan(0);
    expect(declines).toMatchObject({
      cancelled: declines.orders,
      confirmed: 0,
      timeouts: 0,
      rejected: 0,
      errors: 0,
    });
    expect(declines.cancellationReasons).toEqual({ PAYMENT_DECLINED: declines.orders });
  });

  it('read the same bodies cached, uncached and from bare express, all answered 2xx', () => {
    const http = report.parts.http;
    if (!http?.ok) throw new Error('no http');
    expect(http.orders).toBeGreaterThan(0);
    expect(http.sameBodies).toEqual({ uncached: true, bareExpress: true });
    for (const target of [http.cached, http.uncached, http.bareExpress]) {
      expect(target.ok).toBeGreaterThan(0);
      expect(target).toMatchObject({ non2xx: 0, errors: 0 });
    }
  });

  it('measured CDC lag over committed updates', () => {
    const cdc = report.parts.cdc;
    if (!cdc?.ok) throw new Error('no cdc');
    expect(cdc.committed).toBeGreaterThan(0);
    expect(cdc.commitToCacheMs.count).toBeGreaterThan(0);
  });

  it('sampled the memory of every component at rest and under load', () => {
    const memory = report.parts.memory;
    if (!memory?.ok) throw new Error('no memory');
    for (const snapshot of [memory.atRest, memory.underLoad]) {
      expect(Object.keys(snapshot).sort()).toEqual([...COMPONENTS].sort());
      for (const name of COMPONENTS) expect(snapshot[name]?.rssMiB).toBeGreaterThan(0);
    }
  });
});
