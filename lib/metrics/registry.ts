import { collectDefaultMetrics, Registry } from 'prom-client';

/** One Prometheus registry per process: Node's own metrics under the process's prefix, plus ours. */
export function createProcessRegistry(process: 'api' | 'worker' | 'consumers'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: `trackops-${process}` });
  collectDefaultMetrics({ register: registry, prefix: `trackops_${process}_` });
  return registry;
}

/** Seconds buckets from 5 ms to 30 s: HTTP calls, saga steps and CDC hops all fall inside. */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
