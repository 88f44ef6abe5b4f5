import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '../lib/metrics/registry';
import type { ConsumerMetrics } from './runtime/consumer-runner';

/** The consumers' Prometheus series; `consumer` is the consumer group's id. */
export function consumerMetrics(registry: Registry): ConsumerMetrics {
  const labelNames = ['consumer', 'topic'] as const;
  const registers = [registry];
  const processed = new Counter({
    name: 'trackops_consumer_processed_total',
    help: 'messages applied',
    labelNames,
    registers,
  });
  const retried = new Counter({
    name: 'trackops_consumer_retries_total',
    help: 'handler retries',
    labelNames,
    registers,
  });
  const dead = new Counter({
    name: 'trackops_consumer_dead_lettered_total',
    help: 'messages sent to a DLQ',
    labelNames,
    registers,
  });
  const lag = new Gauge({
    name: 'trackops_consumer_lag_messages',
    help: "messages behind the partition's high watermark, per consumer group and partition",
    labelNames: ['consumer', 'topic', 'partition'],
    registers,
  });
  const cdcLag = new Histogram({
    name: 'trackops_cdc_lag_seconds',
    help: "from a change's commit in Postgres (Debezium source.ts_ms) to its consumer applying it",
    labelNames,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers,
  });
  return {
    processed: (consumer, topic) => processed.inc({ consumer, topic }),
    retried: (consumer, topic) => retried.inc({ consumer, topic }),
    deadLettered: (consumer, topic) => dead.inc({ consumer, topic }),
    lag: (consumer, topic, partition, messages) =>
      lag.set({ consumer, topic, partition: String(partition) }, Math.max(0, messages)),
    cdcLag: (consumer, topic, seconds) => cdcLag.observe({ consumer, topic }, seconds),
  };
}
