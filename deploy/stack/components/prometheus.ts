import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { installDebianPackages } from '../apt';
import { commandExists, httpOk } from '../commands';
import type { Component, StackContext } from '../component';
import { repoRoot } from '../paths';
import { LOOPBACK } from '../ports';
import { launchDetached, livePid, stopProcess } from '../processes';
import { instanceHealthPort, readScale, SCALABLE, type ScalableName } from '../scale';

/** The scrape config docker-compose runs (deploy/prometheus/prometheus.yml): its jobs, by process. */
const COMPOSE_CONFIG = path.join(repoRoot, 'deploy', 'prometheus', 'prometheus.yml');
/** Locally a new order shows on the dashboard within seconds, not compose's 15. */
const LOCAL_SCRAPE_INTERVAL = '5s';

interface ScrapeJob {
  job_name: string;
  metrics_path?: string;
  static_configs?: unknown;
  file_sd_configs?: { files: string[] }[];
}

const files = (ctx: StackContext) => ({
  config: path.join(ctx.paths.run, 'prometheus.yml'),
  targets: path.join(ctx.paths.run, 'prometheus-targets'),
  data: path.join(ctx.paths.data, 'prometheus'),
  pidFile: path.join(ctx.paths.run, 'prometheus.pid'),
  logFile: path.join(ctx.paths.logs, 'prometheus.log'),
});

/** `trackops-api` scrapes the `api` process, and so on. */
function processOf(job: ScrapeJob): ScalableName {
  const name = job.job_name.replace(/^trackops-/, '');
  if (!(SCALABLE as readonly string[]).includes(name))
    throw new Error(`${COMPOSE_CONFIG}: unknown job ${job.job_name}`);
  return name as ScalableName;
}

type ComposeConfig = { global?: Record<string, unknown>; scrape_configs: ScrapeJob[] };

const readComposeConfig = () => YAML.parse(fs.readFileSync(COMPOSE_CONFIG, 'utf8')) as ComposeConfig;
const targetFile = (ctx: StackContext, job: ScrapeJob) =>
  path.join(files(ctx).targets, `${job.job_name}.json`);

/** Each job's targets: every instance `stack up --scale` runs (Prometheus watches these files). */
function writeTargets(ctx: StackContext, compose: ComposeConfig): void {
  fs.mkdirSync(files(ctx).targets, { recursive: true });
  const scale = readScale(ctx);
  for (const job of compose.scrape_configs) {
    const process = processOf(job);
    const targets = Array.from(
      { length: scale[process] },
      (_, index) => `${LOOPBACK}:${instanceHealthPort(ctx, process, index)}`,
    );
    fs.writeFileSync(targetFile(ctx, job), `${JSON.stringify([{ targets }], null, 2)}\n`);
  }
}

/** Compose's config with the stack's addresses: each job reads its targets from its file. */
function writeConfig(ctx: StackContext, compose: ComposeConfig): void {
  const jobs = compose.scrape_configs.map(({ static_configs: _compose, ...job }) => ({
    ...job,
    file_sd_configs: [{ files: [targetFile(ctx, job)] }],
  }));
  const config = {
    global: { ...compose.global, scrape_interval: LOCAL_SCRAPE_INTERVAL },
    scrape_configs: jobs,
  };
  fs.writeFileSync(files(ctx).config, YAML.stringify(config));
}

const isHealthy = (ctx: StackContext) => httpOk(`http://${LOOPBACK}:${ctx.ports.PROMETHEUS_PORT}/-/ready`);

/**
 * Prometheus (Debian's package) scraping the app processes' /metrics, so the metrics can be queried
 * and graphed locally as deploy/grafana's dashboard does; two days of data under .stack/data.
 */
export const prometheusComponent: Component = {
  name: 'prometheus',
  dependsOn: [],
  startTimeoutMs: 60_000,
  port: (ctx) => ctx.ports.PROMETHEUS_PORT,
  logFile: (ctx) => files(ctx).logFile,
  pid: (ctx) => livePid(files(ctx).pidFile),
  dataDirs: (ctx) => [files(ctx).data],

  async install(ctx) {
    if (await commandExists('prometheus')) return;
    await installDebianPackages(['prometheus'], (m) => ctx.progress('prometheus', m));
  },

  isHealthy,

  async start(ctx) {
    if (await isHealthy(ctx)) return;
    const paths = files(ctx);
    if (livePid(paths.pidFile) !== undefined) return;
    fs.mkdirSync(paths.data, { recursive: true });
    const compose = readComposeConfig();
    writeTargets(ctx, compose);
    writeConfig(ctx, compose);
    launchDetached({
      command: 'prometheus',
      args: [
        `--config.file=${paths.config}`,
        `--storage.tsdb.path=${paths.data}`,
        '--storage.tsdb.retention.time=2d',
        `--web.listen-address=${LOOPBACK}:${ctx.ports.PROMETHEUS_PORT}`,
      ],
      logFile: paths.logFile,
      pidFile: paths.pidFile,
    });
  },

  async configure(ctx) {
    // The scale may have changed since Prometheus started: its target files follow it.
    writeTargets(ctx, readComposeConfig());
  },

  async stop(ctx) {
    await stopProcess(files(ctx).pidFile, 20_000);
  },
};
