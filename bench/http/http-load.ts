import { isDeepStrictEqual } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchAuthorization } from '../bench-token';
import { fetchJson } from '../saga/order-client';
import { autocannonRun, type HttpRun } from './autocannon-run';
import { freePort, startChildServer, type ChildServer } from './child-server';

export interface HttpLoadOptions {
  apiUrl: string;
  /** The environment the stack's app processes run with; the uncached API gets it too. */
  appEnv: NodeJS.ProcessEnv;
  orderIds: readonly string[];
  connections: number;
  /** Seconds of measurement per target, split into `rounds` runs taking turns. */
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  readyTimeoutMs: number;
  log: (line: string) => void;
}

/** The round with the median rate, and every round's rate. */
export interface HttpTargetResult extends HttpRun {
  url: string;
  what: string;
  roundsRequestsPerSecond: number[];
}

export interface HttpLoadResult {
  tool: string;
  endpoint: string;
  orders: number;
  connections: number;
  rounds: number;
  secondsPerRound: number;
  warmupSeconds: number;
  /** Whether the uncached API and the bare server answered with the very bodies the cached API did. */
  sameBodies: { uncached: boolean; bareExpress: boolean };
  cached: HttpTargetResult;
  uncached: HttpTargetResult;
  bareExpress: HttpTargetResult;
}

const UNCACHED_HOW =
  'a second instance of the same API code (api/main.ts) with CACHE_ENABLED=false, started by the bench: ' +
  'the same route, middleware and body, every read answered from Postgres (loadOrderEntry, one query)';

async function bodiesOf(baseUrl: string, ids: readonly string[]): Promise<Map<string, unknown>> {
  const bodies = new Map<string, unknown>();
  for (const id of ids) {
    const { status, body } = await fetchJson(`${baseUrl}/api/orders/${id}`, { timeoutMs: 10_000 });
    if (status === 200) bodies.set(id, body);
  }
  return bodies;
}

const sameBodies = (a: Map<string, unknown>, b: Map<string, unknown>) =>
  a.size === b.size && [...a].every(([id, body]) => isDeepStrictEqual(body, b.get(id)));

/**
 * GET /api/orders/{id} three ways with autocannon, one after the other, over the same order ids:
 * the stack's API (read through the Redis cache), the same API code with the cache disabled, and a
 * bare express app serving the same bodies from memory.
 */
export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  // Reading every body once also puts each order in the cache.
  const cachedBodies = await bodiesOf(options.apiUrl, options.orderIds);
  const ids = [...cachedBodies.keys()];
  if (ids.length === 0) throw new Error('no order to read: every GET /api/orders/{id} failed');
  const paths = ids.map((id) => `/api/orders/${id}`);
  const bodiesFile = path.join(os.tmpdir(), `trackops-bench-bodies-${process.pid}.json`);
  fs.writeFileSync(bodiesFile, JSON.stringify(Object.fromEntries(cachedBodies)));

  const servers: ChildServer[] = [];
  try {
    const uncachedPort = await freePort();
    const barePort = await freePort();
    options.log('http: starting the uncached API and the bare express server...');
    const starts = await Promise.allSettled([
      startChildServer({
        entry: 'api/main.ts',
        label: 'uncached-api',
        port: uncachedPort,
        env: { ...options.appEnv, CACHE_ENABLED: 'false', API_PORT: String(uncachedPort) },
        healthPath: '/health',
        readyTimeoutMs: options.readyTimeoutMs,
      }),
      startChildServer({
        entry: 'bench/http/bare-server.ts',
        label: 'bare-express',
        port: barePort,
        env: { ...process.env, BARE_PORT: String(barePort), BARE_BODIES_FILE: bodiesFile },
        healthPath: '/health',
        readyTimeoutMs: options.readyTimeoutMs,
      }),
    ]);
    for (const start of starts) if (start.status === 'fulfilled') servers.push(start.value);
    const [uncached, bare] = servers;
    const failed = starts.find((start) => start.status === 'rejected');
    if (failed || !uncached || !bare) throw failed?.reason ?? new Error('a server did not start');
    const same = {
      uncached: sameBodies(cachedBodies, await bodiesOf(uncached.url, ids)),
      bareExpress: sameBodies(cachedBodies, await bodiesOf(bare.url, ids)),
    };

    const targets = {
      cached: { url: options.apiUrl, what: 'the stack API, read through Redis' },
      uncached: { url: uncached.url, what: UNCACHED_HOW },
      bareExpress: {
        url: bare.url,
        what: 'the same bodies from memory, no middleware (bench/http/bare-server.ts)',
      },
    };
    const names = Object.keys(targets) as (keyof typeof targets)[];
    const headers = { authorization: await benchAuthorization() };
    const runOf = (name: keyof typeof targets, seconds: number) =>
      autocannonRun({
        baseUrl: targets[name].url,
        paths,
        connections: options.connections,
        seconds,
        headers,
      });
    // A short unrecorded run of each first: a fresh process is still compiling its hot paths.
    if (options.warmupSeconds > 0) for (const name of names) await runOf(name, options.warmupSeconds);
    // Rounds taking turns, so a change in whatever else loads the machine falls on all three alike.
    const secondsPerRound = Math.max(1, Math.round(options.seconds / options.rounds));
    const rounds = { cached: [] as HttpRun[], uncached: [] as HttpRun[], bareExpress: [] as HttpRun[] };
    for (let round = 0; round < options.rounds; round += 1)
      for (const name of names) rounds[name].push(await runOf(name, secondsPerRound));
    const result = (name: keyof typeof targets): HttpTargetResult => {
      const byRate = [...rounds[name]].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
      const median = byRate[Math.floor(byRate.length / 2)] as HttpRun;
      options.log(
        `  ${name.padEnd(12)} ${median.requestsPerSecond.toFixed(0).padStart(6)} req/s, ` +
          `p50 ${median.latencyMs.p50} ms, p99 ${median.latencyMs.p99} ms (median of ${byRate.length})`,
      );
      return {
        ...targets[name],
        ...median,
        roundsRequestsPerSecond: rounds[name].map((r) => r.requestsPerSecond),
      };
    };
    return {
      tool: 'autocannon 9.0.0',
      endpoint: 'GET /api/orders/{id}',
      orders: ids.length,
      connections: options.connections,
      rounds: options.rounds,
      secondsPerRound,
      warmupSeconds: options.warmupSeconds,
      sameBodies: same,
      cached: result('cached'),
      uncached: result('uncached'),
      bareExpress: result('bareExpress'),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(bodiesFile, { force: true });
  }
}
