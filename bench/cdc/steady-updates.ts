import type { Pool } from 'pg';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SteadyUpdates {
  issued: number;
  failed: number;
  /** When the first update was due, epoch ms. */
  startedMs: number;
  /** The largest lateness of an update against its schedule. */
  maxBehindMs: number;
}

/**
 * UPDATEs the given orders round robin at `rate` per second for `seconds` (version + 1 and
 * delivery_instructions, as the application's optimistic lock does), each its own transaction.
 * `onCommit` gets `${id}:${version}` and the database's clock at the UPDATE; resolves when all are done.
 */
export async function steadyUpdates(
  pool: Pool,
  ids: readonly string[],
  rate: number,
  seconds: number,
  onCommit: (tag: string, committedAtMs: number) => void,
): Promise<SteadyUpdates> {
  const total = Math.round(rate * seconds);
  let issued = 0;
  let failed = 0;
  let maxBehindMs = 0;
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const due = (n: number) => started + (n * 1000) / rate;
  while (issued < total) {
    const wait = due(issued) - Date.now();
    if (wait > 1) await sleep(Math.min(wait, 10));
    // Everything that is due goes out now (the timer is coarse; small bursts keep the mean rate).
    while (issued < total && due(issued) <= Date.now()) {
      maxBehindMs = Math.max(maxBehindMs, Date.now() - due(issued));
      const id = ids[issued % ids.length] as string;
      issued += 1;
      const task = pool
        .query<{ version: number; at: number }>(
          `UPDATE orders SET version = version + 1, delivery_instructions = $2, updated_at = now()
           WHERE id = $1
           RETURNING version, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS at`,
          [id, `bench ${issued}`],
        )
        .then(({ rows }) => {
          const [row] = rows;
          if (!row) throw new Error(`order ${id} vanished`);
          onCommit(`${id}:${row.version}`, row.at);
        })
        .catch(() => {
          failed += 1;
        });
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
  }
  await Promise.all(inFlight);
  return { issued, failed, startedMs: started, maxBehindMs };
}
