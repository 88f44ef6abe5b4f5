/**
 * CDC cache lag: commit of an orders row -> the cache entry holding that version (or a newer one),
 * at a steady rate of row changes, through Debezium, Kafka and the running `trackops-cache`
 * consumer. Prints a report; asserts nothing.
 *
 *   npx tsx bench/cdc-lag.ts [--rate 500] [--seconds 20] [--warmup 20] [--rows 200] [--grace 20]
 *                            [--connections 16] [--debezium-poll-ms 10]
 *
 * It inserts --rows orders of its own (customer id `bench-cdclag-...`, no items), waits until the
 * consumer has warmed them, then updates them round robin (version + 1 and delivery_instructions,
 * as the application's optimistic lock does) at --rate per second for --seconds, each update its
 * own transaction, after --warmup seconds of the same load that are not measured (a process that
 * was started a moment ago is still compiling its hot paths and sizing its heap). Clocks, all on
 * this host: the start is the database's clock_timestamp() at the UPDATE (just before its commit);
 * the end is Redis's clock in the consumer's `cache:warmed <key> <version> <ms>` message for that
 * version or a newer one (a warm that loads the row after a later update stores the later version,
 * which covers both). So this process's own event-loop delays do not enter the numbers. Updates
 * never seen in the cache within --grace seconds after the last one are "lost"; the report also
 * checks those keys directly in Redis. A side consumer reads the records' Kafka timestamps (set by
 * Connect's producer) to split the lag into commit -> record in Kafka and the rest. The orders are
 * deleted at the end.
 *
 * What-if (nothing in the repository changes): --debezium-poll-ms N sets poll.interval.ms of the
 * running trackops-orders connector to N for the run (Connect restarts its task; streaming resumes
 * from its offset, so the run waits 15 s for the replayed tail to pass) and PUTs the original
 * config back afterwards.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { orderKey, WARMED_CHANNEL } from '../cache/keys';
import { CACHE_CONSUMER_NAME, CACHE_TOPICS } from '../consumers/cache-consumer';
import { loadConfig } from '../lib/config';

function arg(name: string, fallback: number, { zeroAllowed = false } = {}): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new Error(`--${name} must be a positive number${zeroAllowed ? ' or zero' : ''}`);
  }
  return value;
}

const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 20);
const ROWS = Math.round(arg('rows', 200));
const GRACE_S = arg('grace', 20);
const WARMUP_S = arg('warmup', 20, { zeroAllowed: true });
const CONNECTIONS = Math.round(arg('connections', 16));
const DEBEZIUM_POLL_MS = process.argv.includes('--debezium-poll-ms')
  ? arg('debezium-poll-ms', 500)
  : undefined;
const CONNECTOR = 'trackops-orders';

const config = loadConfig();
const run = `bench-cdclag-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const out = (line = '') => process.stdout.write(`${line}\n`);

/** `${id}:${version}` of an orders change event's row after the change. */
function tagOf(value: Buffer | null): string | undefined {
  if (!value) return undefined;
  const event = JSON.parse(value.toString()) as { after: { id: string; version: number } | null };
  return event.after ? `${event.after.id}:${event.after.version}` : undefined;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? NaN;
}

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => (Number.isNaN(v) ? '     -' : v.toFixed(0).padStart(6));
  return `${label.padEnd(28)} n=${String(sorted.length).padStart(6)}  p50 ${f(percentile(sorted, 50))}  p95 ${f(
    percentile(sorted, 95),
  )}  p99 ${f(percentile(sorted, 99))}  max ${f(sorted[sorted.length - 1] ?? NaN)}  ms`;
}

async function connectorRequest(path: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(`${config.KAFKA_CONNECT_URL}/connectors/${CONNECTOR}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json' },
  });
  if (!response.ok) throw new Error(`Connect ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** PUTs a connector config and waits until the connector and its task run again. */
async function applyConnectorConfig(connectorConfig: Record<string, string>): Promise<void> {
  await connectorRequest('/config', { method: 'PUT', body: JSON.stringify(connectorConfig) });
  const deadline = Date.now() + 60_000;
  await sleep(2000);
  for (;;) {
    const status = (await connectorRequest('/status')) as {
      connector: { state: string };
      tasks: { state: string }[];
    };
    const running = status.tasks.length > 0 && status.tasks.every((t) => t.state === 'RUNNING');
    if (status.connector.state === 'RUNNING' && running) return;
    if (Date.now() > deadline) throw new Error(`${CONNECTOR} not RUNNING: ${JSON.stringify(status)}`);
    await sleep(500);
  }
}

async function committedOffsetsBehind(kafka: Kafka): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({
      groupId: CACHE_CONSUMER_NAME,
      topics: [CACHE_TOPICS.orders],
    });
    const ends = await admin.fetchTopicOffsets(CACHE_TOPICS.orders);
    return ends.reduce((sum, end) => {
      const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      return sum + Number(end.high) - Math.max(0, Number(at));
    }, 0);
  } finally {
    await admin.disconnect();
  }
}

async function main() {
  out(
    `cdc-lag: ${RATE} updates/s for ${SECONDS} s over ${ROWS} orders (${CONNECTIONS} connections), run ${run}`,
  );
  const pool = new Pool({ connectionString: config.ORDERS_DATABASE_URL, max: CONNECTIONS });
  const redis = new Redis(config.REDIS_URL);
  const subscriber = new Redis(config.REDIS_URL);
  const kafka = new Kafka({
    clientId: run,
    brokers: config.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const side = kafka.consumer({ groupId: run, maxWaitTimeInMs: 100 });
  let originalConnector: Record<string, string> | undefined;

  const ids: string[] = [];
  const byKey = new Map<string, string>();
  /** Per order, the warms seen: [version, Redis ms], in arrival order. */
  const warms = new Map<string, [number, number][]>();
  /** `${id}:${version}` -> database clock at the UPDATE, epoch ms. */
  const commits = new Map<string, number>();
  /** `${id}:${version}` -> the record's Kafka timestamp. */
  const kafkaAt = new Map<string, number>();
  let measuring = false;

  try {
    if (DEBEZIUM_POLL_MS !== undefined) {
      originalConnector = (await connectorRequest('/config')) as Record<string, string>;
      const was = originalConnector['poll.interval.ms'] ?? '(default 500)';
      out(`what-if: ${CONNECTOR} poll.interval.ms ${was} -> ${DEBEZIUM_POLL_MS} for this run`);
      await applyConnectorConfig({ ...originalConnector, 'poll.interval.ms': String(DEBEZIUM_POLL_MS) });
    }

    const inserted = await pool.query<{ id: string }>(
      `INSERT INTO orders (customer_id, total_amount, street_address, city, postal_code, country)
       SELECT $1 || '-' || g, 10.00, '1 Bench Street', 'Benchville', '00000', 'NL'
       FROM generate_series(1, $2::int) AS g RETURNING id`,
      [run, ROWS],
    );
    for (const { id } of inserted.rows) {
      ids.push(id);
      byKey.set(orderKey(id), id);
    }

    subscriber.on('message', (_channel: string, text: string) => {
      const [key = '', version, at] = text.split(' ');
      const id = byKey.get(key);
      if (!id) return;
      warms.set(id, [...(warms.get(id) ?? []), [Number(version), Number(at)]]);
    });
    await subscriber.subscribe(WARMED_CHANNEL);

    await side.connect();
    await side.subscribe({ topic: CACHE_TOPICS.orders, fromBeginning: false });
    const joined = new Promise<void>((resolve) => side.on(side.events.GROUP_JOIN, () => resolve()));
    await side.run({
      eachMessage: async ({ message }) => {
        const tag = measuring ? tagOf(message.value) : undefined;
        if (tag) kafkaAt.set(tag, Number(message.timestamp));
      },
    });
    await joined;

    // The rows were inserted before the subscription: one update of each, until all are warmed.
    out('warming up: one update per row, waiting for the consumer to catch up...');
    const warmStart = Date.now();
    await pool.query(
      `UPDATE orders SET version = version + 1, updated_at = now() WHERE customer_id LIKE $1`,
      [`${run}-%`],
    );
    const warmedTo = (id: string) => Math.max(-1, ...(warms.get(id) ?? []).map(([v]) => v));
    while (ids.some((id) => warmedTo(id) < 1)) {
      if (Date.now() - warmStart > 60_000)
        throw new Error('the cache consumer did not warm the bench rows in 60 s');
      await sleep(50);
    }
    out(`warm-up done in ${((Date.now() - warmStart) / 1000).toFixed(1)} s`);
    if (DEBEZIUM_POLL_MS !== undefined) {
      out('what-if: letting the restarted connector settle for 15 s');
      await sleep(15_000);
    }

    // --- the steady load ----------------------------------------------------------------------
    let failed = 0;
    let maxBehindMs = 0;
    /** Updates at RATE for `seconds`, their commits recorded when `record`; resolves when all are done. */
    const steadyLoad = async (
      seconds: number,
      record: boolean,
    ): Promise<{ issued: number; started: number }> => {
      const total = Math.round(RATE * seconds);
      let issued = 0;
      const inFlight = new Set<Promise<void>>();
      const started = Date.now();
      while (issued < total) {
        const wait = started + (issued * 1000) / RATE - Date.now();
        if (wait > 1) await sleep(Math.min(wait, 10));
        // Everything that is due goes out now (the timer is coarse; small bursts keep the mean rate).
        while (issued < total && started + (issued * 1000) / RATE <= Date.now()) {
          if (record) maxBehindMs = Math.max(maxBehindMs, Date.now() - (started + (issued * 1000) / RATE));
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
              if (record) commits.set(`${id}:${row.version}`, row.at);
            })
            .catch(() => {
              if (record) failed += 1;
            });
          inFlight.add(task);
          void task.finally(() => inFlight.delete(task));
        }
      }
      await Promise.all(inFlight);
      return { issued, started };
    };
    if (WARMUP_S > 0) {
      out(`warm-up load: ${RATE}/s for ${WARMUP_S} s, not measured`);
      await steadyLoad(WARMUP_S, false);
    }
    measuring = true;
    const { issued, started: loadStart } = await steadyLoad(SECONDS, true);
    const loadSeconds = (Date.now() - loadStart) / 1000;

    // --- drain: until every update is covered by a warm of its version or a newer one ----------
    const coveredAt = (tag: string): number | undefined => {
      const [id = '', versionText] = tag.split(':');
      const version = Number(versionText);
      const hits = (warms.get(id) ?? []).filter(([v]) => v >= version).map(([, at]) => at);
      return hits.length > 0 ? Math.min(...hits) : undefined;
    };
    const drainStart = Date.now();
    const uncovered = () => [...commits.keys()].filter((tag) => coveredAt(tag) === undefined);
    while (uncovered().length > 0 && Date.now() - drainStart < GRACE_S * 1000) await sleep(100);
    const lost = uncovered();
    let lostButCached = 0;
    for (const tag of lost) {
      const [id = '', version] = tag.split(':');
      if (Number((await redis.hget(orderKey(id), 'v')) ?? -1) >= Number(version)) lostButCached += 1;
    }
    const behind = await committedOffsetsBehind(kafka).catch(() => NaN);

    // --- report -------------------------------------------------------------------------------
    const lags: number[] = [];
    const timeline: [number, number][] = [];
    for (const [tag, committedAt] of commits) {
      const at = coveredAt(tag);
      if (at === undefined) continue;
      lags.push(Math.max(0, at - committedAt));
      timeline.push([committedAt - loadStart, Math.max(0, at - committedAt)]);
    }
    const lagsTo = (seen: Map<string, number>) =>
      [...commits].flatMap(([tag, committedAt]) => {
        const at = seen.get(tag);
        return at === undefined ? [] : [Math.max(0, at - committedAt)];
      });

    out();
    out(`updates issued               ${issued} in ${loadSeconds.toFixed(2)} s, ${failed} failed`);
    out(
      `updates committed            ${commits.size} (${(commits.size / loadSeconds).toFixed(1)}/s achieved)`,
    );
    out(`scheduler max behind         ${maxBehindMs.toFixed(0)} ms`);
    out(summary('commit -> cache updated', lags));
    out(summary('commit -> record in Kafka', lagsTo(kafkaAt)));
    out(
      `lost (no warm >= its version within ${GRACE_S} s): ${lost.length}` +
        (lost.length > 0 ? ` (${lostButCached} of them are in Redis, only the notification is missing)` : ''),
    );
    out(`drain after the last commit  ${((Date.now() - drainStart) / 1000).toFixed(2)} s`);
    out(`cache consumer's committed offsets behind the orders topic now: ${behind}`);
    out('by commit time (2 s windows):');
    for (let from = 0; from < loadSeconds * 1000; from += 2000) {
      const window = timeline.filter(([t]) => t >= from && t < from + 2000).map(([, lag]) => lag);
      out(
        summary(`  ${(from / 1000).toFixed(0).padStart(3)}-${((from + 2000) / 1000).toFixed(0)} s`, window),
      );
    }
    const over = lags.filter((l) => l > 200).length;
    out(`over 200 ms                  ${over} (${((100 * over) / Math.max(1, lags.length)).toFixed(1)} %)`);
    const p99 = percentile(
      [...lags].sort((a, b) => a - b),
      99,
    );
    const met = p99 < 200 && lost.length === 0;
    out(`target p99 < 200 ms at ${RATE}/s: ${met ? 'MET' : 'MISSED'} (p99 ${p99.toFixed(0)} ms)`);
  } finally {
    if (originalConnector) {
      await applyConnectorConfig(originalConnector).then(
        () => out(`${CONNECTOR} config restored`),
        (error: unknown) =>
          out(`RESTORING ${CONNECTOR} FAILED, put debezium/${CONNECTOR}.json back: ${String(error)}`),
      );
    }
    await pool.query(`DELETE FROM orders WHERE customer_id LIKE $1`, [`${run}-%`]).catch(() => undefined);
    await side.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([run]))
      .catch(() => undefined)
      .finally(() => admin.disconnect());
    subscriber.disconnect();
    redis.disconnect();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`cdc-lag failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
