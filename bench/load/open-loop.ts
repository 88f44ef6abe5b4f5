import { sleep, timed, type Timed } from './timed';

export interface OpenLoopOptions<R> {
  /** Arrivals per second, at a fixed interval: the load does not wait for the system. */
  ratePerSecond: number;
  /** Arrivals in all. */
  count: number;
  /** An arrival finding this many tasks in flight is skipped and counted, not queued. */
  maxInFlight: number;
  task: (index: number) => Promise<R>;
}

export interface OpenLoopRun<R> {
  runs: Timed<R>[];
  skipped: number;
  /** From the first arrival to the last. */
  arrivalsMs: number;
  /** The largest lateness of an arrival against its schedule (this process's own delays). */
  maxBehindMs: number;
}

/** A fixed arrival rate for a bounded count; resolves once every task started has finished. */
export async function openLoop<R>(options: OpenLoopOptions<R>): Promise<OpenLoopRun<R>> {
  const runStart = performance.now();
  const intervalMs = 1000 / options.ratePerSecond;
  const runs: Timed<R>[] = [];
  const inFlight = new Set<Promise<void>>();
  let skipped = 0;
  let maxBehindMs = 0;
  for (let index = 0; index < options.count; index += 1) {
    const due = index * intervalMs;
    const wait = due - (performance.now() - runStart);
    if (wait > 1) await sleep(wait);
    maxBehindMs = Math.max(maxBehindMs, performance.now() - runStart - due);
    if (inFlight.size >= options.maxInFlight) {
      skipped += 1;
      continue;
    }
    const task = timed(runStart, () => options.task(index)).then((r) => {
      runs.push(r);
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }
  const arrivalsMs = performance.now() - runStart;
  await Promise.all(inFlight);
  return { runs, skipped, arrivalsMs, maxBehindMs };
}
