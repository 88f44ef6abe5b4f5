import { sleep } from '../load/timed';
import { fetchJson } from './order-client';

export interface CleanupResult {
  /** Confirmed bench orders, each an open saga waiting for shipment (with a 48 h SLA timer). */
  openOrders: number;
  cancelRequested: number;
  /** 409: the order can no longer be cancelled (it moved on meanwhile). */
  notCancellable: number;
  /** Not cancelled: the DELETE failed or the deadline came first. They stay open. */
  leftOpen: number;
  seconds: number;
}

/**
 * DELETE /api/orders/{id} for every confirmed bench order, a few at a time, within a deadline, so a
 * run leaves no saga waiting for a shipment that never comes. Compensation (refund, release) runs
 * in the saga afterwards; the bench does not wait for it.
 */
export async function cancelOpenOrders(
  apiUrl: string,
  orderIds: readonly string[],
  { concurrency = 8, deadlineMs = 60_000 } = {},
): Promise<CleanupResult> {
  const started = performance.now();
  const deadline = started + deadlineMs;
  let next = 0;
  let requested = 0;
  let refused = 0;
  const worker = async () => {
    while (next < orderIds.length && performance.now() < deadline) {
      const id = orderIds[next] as string;
      next += 1;
      for (let attempt = 0; attempt < 3 && performance.now() < deadline; attempt += 1) {
        const answer = await fetchJson(`${apiUrl}/api/orders/${id}`, {
          method: 'DELETE',
          timeoutMs: 10_000,
        }).catch(() => undefined);
        if (answer?.status === 202) requested += 1;
        if (answer?.status === 409) refused += 1;
        if (answer?.status === 202 || answer?.status === 409) break;
        await sleep(200);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, orderIds.length) }, worker));
  return {
    openOrders: orderIds.length,
    cancelRequested: requested,
    notCancellable: refused,
    leftOpen: orderIds.length - requested - refused,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}
