import type { StackContext } from '../deploy/stack/component';
import { readScale } from '../deploy/stack/scale';

export function printAccessPoints(ctx: StackContext): void {
  const p = ctx.ports;
  const apiInstances = readScale(ctx).api;
  const lines = [
    '',
    'TrackOps is up. Where to look:',
    `  REST API            http://127.0.0.1:${p.API_PORT}/api/orders   (health: /health/ready, metrics: /metrics)`,
    ...(apiInstances > 1
      ? [
          `  API instances       ports ${p.API_PORT}-${p.API_PORT + apiInstances - 1} (any one serves any order and stream)`,
        ]
      : []),
    `  Temporal Web UI     http://127.0.0.1:${p.TEMPORAL_UI_PORT}/namespaces/default/workflows`,
    `  Traces (Zipkin)     http://127.0.0.1:${p.ZIPKIN_PORT}/zipkin/   (bin/trackops trace <orderId>)`,
    `  Metrics             http://127.0.0.1:${p.PROMETHEUS_PORT}/graph   (Prometheus, scraping every app process)`,
    `  Kafka Connect       http://127.0.0.1:${p.CONNECT_PORT}/connectors?expand=status`,
    `  Kafka bootstrap     127.0.0.1:${p.KAFKA_PORT}`,
    `  Postgres            127.0.0.1:${p.POSTGRES_PORT} (databases trackops_orders, trackops_inventory)`,
    `  Redis               127.0.0.1:${p.REDIS_PORT}`,
    '  Status and logs     bin/trackops stack status | bin/trackops stack logs <component>',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
