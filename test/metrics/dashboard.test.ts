/**
 * The Prometheus scrape config reaches every app process on the port its config names, and every
 * series the Grafana dashboard queries is one our processes export (names taken from the code's
 * metric definitions and the Temporal SDK's), so a renamed metric cannot leave a panel empty.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const repoRoot = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

it('scrapes the api, worker and consumers on their ports', () => {
  const config = YAML.parse(read('deploy/prometheus/prometheus.yml')) as {
    scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
  };
  const targets = Object.fromEntries(
    config.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((s) => s.targets)]),
  );
  expect(targets).toEqual({
    'trackops-api': ['api:8080'],
    'trackops-worker': ['worker:9464'],
    'trackops-consumers': ['consumers:9465'],
  });
});

it('queries only series the processes define', () => {
  const sources = [
    'lib/metrics/http-metrics.ts',
    'lib/metrics/cache-metrics.ts',
    'worker/saga-metrics.ts',
    'consumers/consumer-metrics.ts',
  ].map(read);
  const defined = new Set(
    sources.flatMap((text) => [...text.matchAll(/name: '(trackops_\w+)'/g)].map((m) => m[1]!)),
  );
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/trackops.json')) as Dashboard;
  const queried = dashboard.panels.flatMap((p) =>
    p.targets.flatMap((t) => [...t.expr.matchAll(/\b(trackops_\w+|temporal_\w+)/g)].map((m) => m[1]!)),
  );
  expect(queried.length).toBeGreaterThan(10);
  for (const series of queried) {
    if (series.startsWith('temporal_')) continue; // the SDK's, checked against a live worker in process-metrics
    const base = series.replace(/_(bucket|count|sum)$/, '');
    expect({ series, defined: defined.has(base) }).toEqual({ series, defined: true });
  }
});
