import { timed, type Timed } from './timed';

export interface ClosedLoopOptions<R> {
  /** Clients, each starting its next task when its last one has finished. */
  concurrency: number;
  /** No task starts after this; the tasks in flight then are awaited (each task bounds itself). */
  durationMs: number;
  /** No more than this many tasks in all, whatever the duration. */
  maxCount: number;
  /** Must not throw: a failure is one of the results. */
  task: (index: number) => Promise<R>;
}

export interface ClosedLoopRun<R> {
  concurrency: number;
  runs: Timed<R>[];
  /** Until the last task ended. */
  elapsedMs: number;
}

/** N clients in a loop: start a task, wait for it, start the next, until the deadline or the count. */
export async function closedLoop<R>(options: ClosedLoopOptions<R>): Promise<ClosedLoopRun<R>> {
  const runStart = performance.now();
  const runs: Timed<R>[] = [];
  let started = 0;
  const client = async () => {
    while (started < options.maxCount && performance.now() - runStart < options.durationMs) {
      const index = started;
      started += 1;
      runs.push(await timed(runStart, () => options.task(index)));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  return { concurrency: options.concurrency, runs, elapsedMs: performance.now() - runStart };
}

/**
 * Completions per second of the runs that `counts`, over the whole run. Each client's tasks run
 * back to back from the start to its last end, so this is concurrency ÷ mean latency even when a
 * level lasts only a few task latencies (a window that left out the ramp-up would see too few ends).
 */
export function rateOf<R>(run: ClosedLoopRun<R>, counts: (result: R) => boolean): number {
  const done = run.runs.filter((r) => counts(r.result)).length;
  return run.elapsedMs > 0 ? Math.round((done * 10_000) / run.elapsedMs) / 10 : 0;
}

export interface RisingResult<L> {
  levels: L[];
  best: L;
}

/**
 * Runs rising concurrency levels until throughput stops rising: a level that gains less than
 * `minGain` (0.05: 5 %) over the best so far ends the climb. The best level is the saturation point.
 */
/** Levels in a row that gain less than `minGain` over the best before the climb stops. */
export const FLAT_LEVELS_TO_STOP = 2;

export async function riseUntilFlat<L extends { concurrency: number; perSecond: number }>(
  concurrencies: readonly number[],
  minGain: number,
  runLevel: (concurrency: number) => Promise<L>,
  log: (line: string) => void,
): Promise<RisingResult<L>> {
  const levels: L[] = [];
  let best: L | undefined;
  let flat = 0;
  for (const concurrency of concurrencies) {
    const level = await runLevel(concurrency);
    levels.push(level);
    log(`  concurrency ${String(concurrency).padStart(3)}: ${level.perSecond.toFixed(1)}/s`);
    const rising = best === undefined || level.perSecond >= best.perSecond * (1 + minGain);
    if (best === undefined || level.perSecond > best.perSecond) best = level;
    // On a shared machine one noisy level can look flat: the climb ends at the second in a row.
    flat = rising ? 0 : flat + 1;
    if (flat >= FLAT_LEVELS_TO_STOP) break;
  }
  if (!best) throw new Error('no concurrency level to run');
  return { levels, best };
}

/** 4, 8, 16, ... up to `max` (and `max` itself when it is not a power of two). */
export function doublingLevels(from: number, max: number): number[] {
  const levels: number[] = [];
  for (let n = from; n <= max; n *= 2) levels.push(n);
  if (levels[levels.length - 1] !== max && max > from) levels.push(max);
  return levels;
}
