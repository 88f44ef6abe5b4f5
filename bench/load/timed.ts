/** One task of a load run: what it returned and when it started and ended, in ms since the run began. */
export interface Timed<R> {
  result: R;
  startedMs: number;
  endedMs: number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function timed<R>(runStart: number, task: () => Promise<R>): Promise<Timed<R>> {
  const startedMs = performance.now() - runStart;
  const result = await task();
  return { result, startedMs, endedMs: performance.now() - runStart };
}
