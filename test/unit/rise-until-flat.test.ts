import { riseUntilFlat } from '../../bench/load/closed-loop';

/** A climb over made-up rates: which levels it ran and which it took as the saturation point. */
async function climb(rates: Record<number, number>) {
  const ran: number[] = [];
  const result = await riseUntilFlat(
    Object.keys(rates).map(Number),
    0.05,
    (concurrency) => {
      ran.push(concurrency);
      return Promise.resolve({ concurrency, perSecond: rates[concurrency]! });
    },
    () => undefined,
  );
  return { ran, best: result.best.concurrency };
}

describe('riseUntilFlat', () => {
  it('climbs past one flat level (noise on a shared machine) and finds the higher rate behind it', async () => {
    expect(await climb({ 4: 5, 8: 5.1, 16: 8, 32: 8.1, 64: 8, 128: 9 })).toEqual({
      ran: [4, 8, 16, 32, 64],
      best: 32,
    });
  });

  it('stops at the second flat level in a row', async () => {
    expect(await climb({ 4: 5, 8: 7, 16: 7.1, 32: 6, 64: 20 })).toEqual({ ran: [4, 8, 16, 32], best: 16 });
  });
});
