/**
 * CDC cache lag: commit of an orders row -> the cache entry holding that version (or a newer one),
 * at a steady rate of row changes, through Debezium, Kafka and the running `trackops-cache`
 * consumer. See bench/cdc-lag.ts for the method; this is the measurement, callable by the bench.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { orderKey, WARMED_CHANNEL } from '../../cache/keys';
import { CACHE_CONSUMER_NAME, CACHE_TOPICS } from '../../consumers/cache-consumer';
import type { AppConfig } from '../../lib/config';
import { percentile, summarize, type LatencySummary } from '../stats';
import { ConnectorAdmin } from './connector';
import { steadyUpdates } from './steady-updates';

export interface CdcLagOptions {
  rate: number;
  seconds: number;
  warmupSeconds: number;
  rows: number;
  graceSeconds: number;
  connections: number;
  /** What-if: poll.interval.ms of the trackops-orders connector for the run (restored afterwards). */
  debeziumPollMs?: number;
  log: (line: string) => void;
}

export interface CdcLagWindow {
  fromSeconds: number;
  commitToCacheMs: LatencySummary;
}

export interface CdcLagResult {
  rate: number;
  rows: number;
  issued: number;
  failed: number;
  committed: number;
  loadSeconds: number;
  achievedPerSecond: number;
  schedulerMaxBehindMs: number;
  commitToCacheMs: LatencySummary;
  commitToKafkaMs: LatencySummary;
  lost: number;
  /** Lost updates whose version is in Redis after all: only the warm notification is missing. */
  lostButCached: number;
  graceSeconds: number;
  drainSeconds: number;
  /** The cache consumer's committed offsets behind the orders topic's end, after the drain. */
  consumerOffsetsBehind: number | null;
  windows: CdcLagWindow[];
  over200Ms: number;
  /** The target: p99 < 200 ms and nothing lost. */
  targetMet: boolean;
}

const CONNECTOR = 'trackops-orders';
const WINDOW_MS = 2000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `${id}:${version}` of an orders change event's row after the change. */
function tagOf(value: Buffer | null): string | undefined {
  if (!value) return undefined;
  const event = JSON.parse(value.toString()) as { after: { id: string; version: number } | null };
  return event.after ? `${event.after.id}:${event.after.version}` : undefined;
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

export async function measureCdcLag(config: AppConfig, options: CdcLagOptions): Promise<CdcLagResult> {
  const { log } = options;
  const run = `bench-cdclag-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  log(
    `cdc-lag: ${options.rate} updates/s for ${options.seconds} s over ${options.rows} orders ` +
      `(${options.connections} connections), run ${run}`,
  );
  const pool = new Pool({ connectionString: config.ORDERS_DATABASE_URL, max: options.connections });
  const redis = new Redis(config.REDIS_URL);
  const subscriber = new Redis(config.REDIS_URL);
  const kafka = new Kafka({
    clientId: run,
    brokers: config.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const side = kafka.consumer({ groupId: run, maxWaitTimeInMs: 100 });
  const connector = new ConnectorAdmin(config.KAFKA_CONNECT_URL, CONNECTOR);
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
    if (options.debeziumPollMs !== undefined) {
      originalConnector = await connector.config();
      const was = originalConnector['poll.interval.ms'] ?? '(default 500)';
      log(`what-if: ${CONNECTOR} poll.interval.ms ${was} -> ${options.debeziumPollMs} for this run`);
      await connector.apply({ ...originalConnector, 'poll.interval.ms': String(options.debeziumPollMs) });
    }

    const inserted = await pool.query<{ id: string }>(
      `INSERT INTO orders (customer_id, total_amount, street_address, city, postal_code, country)
       SELECT $1 || '-' || g, 10.00, '1 Bench Street', 'Benchville', '00000', 'NL'
       FROM generate_series(1, $2::int) AS g RETURNING id`,
      [run, options.rows],
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
    log('warming up: one update per row, waiting for the consumer to catch up...');
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
    log(`warm-up done in ${((Date.now() - warmStart) / 1000).toFixed(1)} s`);
    if (options.debeziumPollMs !== undefined) {
      log('what-if: letting the restarted connector settle for 15 s');
      await sleep(15_000);
    }

    if (options.warmupSeconds > 0) {
      log(`warm-up load: ${options.rate}/s for ${options.warmupSeconds} s, not measured`);
      await steadyUpdates(pool, ids, options.rate, options.warmupSeconds, () => undefined);
    }
    measuring = true;
    const load = await steadyUpdates(pool, ids, options.rate, options.seconds, (tag, at) =>
      commits.set(tag, at),
    );
    const loadSeconds = (Date.now() - load.startedMs) / 1000;

    // Drain: until every update is covered by a warm of its version or a newer one.
    const coveredAt = (tag: string): number | undefined => {
      const [id = '', versionText] = tag.split(':');
      const version = Number(versionText);
      const hits = (warms.get(id) ?? []).filter(([v]) => v >= version).map(([, at]) => at);
      return hits.length > 0 ? Math.min(...hits) : undefined;
    };
    const drainStart = Date.now();
    const uncovered = () => [...commits.keys()].filter((tag) => coveredAt(tag) === undefined);
    while (uncovered().length > 0 && Date.now() - drainStart < options.graceSeconds * 1000) await sleep(100);
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const lost = uncovered();
    let lostButCached = 0;
    for (const tag of lost) {
      const [id = '', version] = tag.split(':');
      if (Number((await redis.hget(orderKey(id), 'v')) ?? -1) >= Number(version)) lostButCached += 1;
    }
    const behind = await committedOffsetsBehind(kafka).catch(() => null);

    const lags: number[] = [];
    const timeline: [number, number][] = [];
    for (const [tag, committedAt] of commits) {
      const at = coveredAt(tag);
      if (at === undefined) continue;
      lags.push(Math.max(0, at - committedAt));
      timeline.push([committedAt - load.startedMs, Math.max(0, at - committedAt)]);
    }
    const kafkaLags = [...commits].flatMap(([tag, committedAt]) => {
      const at = kafkaAt.get(tag);
      return at === undefined ? [] : [Math.max(0, at - committedAt)];
    });
    const windows: CdcLagWindow[] = [];
    for (let from = 0; from < loadSeconds * 1000; from += WINDOW_MS) {
      const inWindow = timeline.filter(([t]) => t >= from && t < from + WINDOW_MS).map(([, lag]) => lag);
      windows.push({ fromSeconds: from / 1000, commitToCacheMs: summarize(inWindow) });
    }
    const p99 = percentile(
      [...lags].sort((a, b) => a - b),
      99,
    );
    return {
      rate: options.rate,
      rows: options.rows,
      issued: load.issued,
      failed: load.failed,
      committed: commits.size,
      loadSeconds: Math.round(loadSeconds * 100) / 100,
      achievedPerSecond: Math.round((commits.size / loadSeconds) * 10) / 10,
      schedulerMaxBehindMs: Math.round(load.maxBehindMs),
      commitToCacheMs: summarize(lags),
      commitToKafkaMs: summarize(kafkaLags),
      lost: lost.length,
      lostButCached,
      graceSeconds: options.graceSeconds,
      drainSeconds: Math.round(drainSeconds * 100) / 100,
      consumerOffsetsBehind: behind,
      windows,
      over200Ms: lags.filter((l) => l > 200).length,
      targetMet: p99 < 200 && lost.length === 0,
    };
  } finally {
    if (originalConnector) {
      await connector.apply(originalConnector).then(
        () => log(`${CONNECTOR} config restored`),
        (error: unknown) =>
          log(`RESTORING ${CONNECTOR} FAILED, put debezium/${CONNECTOR}.json back: ${String(error)}`),
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
