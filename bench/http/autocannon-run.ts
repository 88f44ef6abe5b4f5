import autocannon from 'autocannon';

export interface HttpRun {
  /** Successful (2xx) answers per second over the run. */
  requestsPerSecond: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
}

export interface HttpRunOptions {
  baseUrl: string;
  /** Paths taken in turn, one per request. */
  paths: readonly string[];
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

/** One autocannon run: `connections` keep-alive connections, as fast as the server answers. */
export async function autocannonRun(options: HttpRunOptions): Promise<HttpRun> {
  let next = 0;
  const result = await autocannon({
    url: options.baseUrl,
    connections: options.connections,
    duration: options.seconds,
    ...(options.headers ? { headers: options.headers } : {}),
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          path: options.paths[(next += 1) % options.paths.length] ?? '/',
        }),
      },
    ],
  });
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    requestsPerSecond: Math.round((result['2xx'] / result.duration) * 10) / 10,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: {
      p50: round(result.latency.p50),
      p90: round(result.latency.p90),
      p99: round(result.latency.p99),
      mean: round(result.latency.average),
      max: round(result.latency.max),
    },
  };
}
