/**
 * The Helm chart (deploy/helm/trackops) rendered by a real helm (built once from the Go module
 * proxy, deploy/stack/helm.ts): it lints strictly, sets every setting lib/config.ts reads and
 * nothing else, probes the health endpoints, lets each process finish its SIGTERM handling, and its
 * Jobs do what docker-compose.yml's one-shots do.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

import { CONFIG_KEYS, loadConfig } from '../../lib/config';
import { chooseExporter } from '../../lib/telemetry/exporter';
import { TELEMETRY_SETTINGS } from '../../lib/telemetry/settings';
import { productionProblems } from '../../lib/production-checks';
import { PROJECT_TOPICS, TOPIC_PARTITIONS } from '../../deploy/kafka/topics';
import { repoRoot } from '../../deploy/stack/paths';
import { ensureHelm } from '../../deploy/stack/helm';

const CHART = path.join(repoRoot, 'deploy', 'helm', 'trackops');
const PROCESSES = ['worker', 'api', 'consumers'] as const;
const HEALTH_PORT_KEY = {
  worker: 'WORKER_METRICS_PORT',
  api: 'API_PORT',
  consumers: 'CONSUMERS_METRICS_PORT',
};

/** What a production install must supply: the credentials (none of them the local defaults). */
const SECRET_VALUES: Record<string, string> = {
  ORDERS_DATABASE_URL: 'postgresql://trackops_orders:s3cret-orders@db.example.internal:5432/trackops_orders',
  INVENTORY_DATABASE_URL:
    'postgresql://trackops_inventory:s3cret-inventory@db.example.internal:5432/trackops_inventory',
  REDIS_URL: 'rediss://:s3cret-redis@redis.example.internal:6379',
  AUTH_JWT_SECRET: 'a-production-signing-key-of-at-least-32-characters',
  TRACKING_TOKEN_SECRET: 'a-production-tracking-key-of-at-least-32-characters',
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  // The fields read below; YAML gives plain objects.
  [field: string]: unknown;
}

interface Container {
  name: string;
  image: string;
  command: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}

interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; configMap?: { name: string } }[];
}

let helm = '';

function helmRun(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(helm, args, {
    encoding: 'utf8',
    env: { ...process.env, HELM_CACHE_HOME: '/tmp/helm-cache' },
  });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

function setFlags(values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([key, value]) => ['--set-string', `${key}=${value}`]);
}

const secretFlags = setFlags(
  Object.fromEntries(Object.entries(SECRET_VALUES).map(([k, v]) => [`secrets.${k}`, v])),
);

function render(extra: string[] = secretFlags): Manifest[] {
  const output = execFileSync(helm, ['template', 'shop', CHART, ...extra], { encoding: 'utf8' });
  return YAML.parseAllDocuments(output)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} in ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`,
    );
  return found;
}

const podSpec = (manifest: Manifest) => (manifest.spec as { template: { spec: PodSpec } }).template.spec;
const container = (manifest: Manifest): Container => {
  const first = podSpec(manifest).containers[0];
  if (!first) throw new Error(`${manifest.metadata.name} has no container`);
  return first;
};

/** The environment a container gets from its envFrom sources in the rendered manifests. */
function environmentOf(manifests: Manifest[], c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of c.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, find(manifests, 'ConfigMap', source.configMapRef.name).data);
    if (source.secretRef) Object.assign(env, find(manifests, 'Secret', source.secretRef.name).stringData);
  }
  return env;
}

interface ComposeService {
  command?: string[];
}

function composeService(name: string): ComposeService {
  const compose = YAML.parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, ComposeService> };
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** SHUTDOWN_GRACE_MS of a process's main.ts: how long its own SIGTERM handling may take. */
function shutdownGraceSeconds(process: (typeof PROCESSES)[number]): number {
  const source = fs.readFileSync(path.join(repoRoot, process, 'main.ts'), 'utf8');
  const match = /const SHUTDOWN_GRACE_MS = ([\d_]+);/.exec(source);
  if (!match?.[1]) throw new Error(`${process}/main.ts has no SHUTDOWN_GRACE_MS`);
  return Number(match[1].replace(/_/g, '')) / 1000;
}

beforeAll(async () => {
  helm = await ensureHelm(() => undefined);
}, 600_000);

describe('helm chart deploy/helm/trackops', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = render();
  });

  it('passes helm lint --strict', () => {
    const result = helmRun(['lint', '--strict', CHART, ...secretFlags]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({ status: 0 });
  });

  it('refuses to render without the credentials, naming the missing one', () => {
    const result = helmRun(['template', 'shop', CHART]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('secrets.ORDERS_DATABASE_URL is required');
  });

  it.each(PROCESSES)('%s gets every setting lib/config.ts reads, and nothing it does not', (name) => {
    const env = environmentOf(manifests, container(find(manifests, 'Deployment', `shop-trackops-${name}`)));
    // Besides the app's settings, where its traces go (the OTLP endpoint, empty by default, is left out).
    const tracing = TELEMETRY_SETTINGS.filter(
      (key) => key !== 'OTEL_EXPORTER_OTLP_ENDPOINT' && key !== 'OTEL_TRACES_SAMPLER_ARG',
    );
    expect(Object.keys(env).sort()).toEqual([...CONFIG_KEYS, ...tracing].sort());
    expect(chooseExporter(env)).toEqual({ kind: 'zipkin', url: 'http://zipkin:9411/api/v2/spans' });
    expect(env.DEPLOYMENT_ENVIRONMENT).toBe('production');
    const config = loadConfig(env);
    expect(config.NODE_ENV).toBe('production');
    expect(config.HOST).toBe('0.0.0.0');
    expect(productionProblems(config, { verifiesTokens: name === 'api' })).toEqual([]);
  });

  it('keeps the credentials in the Secret, never in the ConfigMap', () => {
    const configMap = find(manifests, 'ConfigMap', 'shop-trackops-config').data as Record<string, string>;
    const secret = find(manifests, 'Secret', 'shop-trackops-secrets').stringData as Record<string, string>;
    expect(secret).toEqual(SECRET_VALUES);
    for (const key of Object.keys(SECRET_VALUES)) expect(configMap).not.toHaveProperty(key);
  });

  it.each(PROCESSES)('%s runs as docker-compose.yml runs it, with probes on its health port', (name) => {
    const deployment = find(manifests, 'Deployment', `shop-trackops-${name}`);
    const c = container(deployment);
    expect(c.command).toEqual(composeService(name).command);
    const env = environmentOf(manifests, c);
    const port = c.ports?.[0];
    expect(port?.containerPort).toBe(Number(env[HEALTH_PORT_KEY[name]]));
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: port?.name });
    expect(c.startupProbe?.httpGet).toEqual({ path: '/health/live', port: port?.name });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: port?.name });
    expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect((deployment.spec as { replicas: number }).replicas).toBe(2);
  });

  it.each(PROCESSES)('%s is given longer than its own SIGTERM handling takes', (name) => {
    const pod = podSpec(find(manifests, 'Deployment', `shop-trackops-${name}`));
    const preStop =
      container(find(manifests, 'Deployment', `shop-trackops-${name}`)).lifecycle?.preStop?.sleep?.seconds ??
      0;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(shutdownGraceSeconds(name) + preStop);
  });

  it.each(PROCESSES)('%s has a PodDisruptionBudget that selects exactly its pods', (name) => {
    const deployment = find(manifests, 'Deployment', `shop-trackops-${name}`);
    const pdb = find(manifests, 'PodDisruptionBudget', `shop-trackops-${name}`);
    const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(selector).toEqual(
      (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
    );
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } })
      .template.metadata.labels;
    expect(podLabels).toMatchObject(selector);
    expect((pdb.spec as { minAvailable: number }).minAvailable).toBeGreaterThanOrEqual(1);
  });

  it('runs the migrations as the compose migrate one-shot, with the app settings, before upgrades', () => {
    const job = find(manifests, 'Job', 'shop-trackops-migrations');
    const c = container(job);
    expect(c.command).toEqual(composeService('migrate').command);
    // The Dockerfile's build stage, as compose builds it: the app image has no migrations.
    expect(c.image).toBe('trackops-migrate:0.1.0');
    expect(c.image).not.toBe(container(find(manifests, 'Deployment', 'shop-trackops-api')).image);
    expect(Object.keys(environmentOf(manifests, c)).sort()).toEqual([...CONFIG_KEYS].sort());
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('post-install,pre-upgrade');
  });

  it('creates every project topic before install, with their partitions', () => {
    const job = find(manifests, 'Job', 'shop-trackops-topics');
    const env = Object.fromEntries((container(job).env ?? []).map((e) => [e.name, e.value ?? '']));
    expect((env.TRACKOPS_TOPICS ?? '').split(/\s+/).filter(Boolean).sort()).toEqual(
      [...PROJECT_TOPICS].sort(),
    );
    expect(env.TRACKOPS_TOPIC_PARTITIONS).toBe(String(TOPIC_PARTITIONS));
    expect(env.KAFKA_BROKERS).toBe(
      environmentOf(manifests, container(find(manifests, 'Deployment', 'shop-trackops-api'))).KAFKA_BROKERS,
    );
    expect(job.metadata.annotations?.['helm.sh/hook']).toContain('pre-install');
  });

  it('registers exactly debezium/*.json with the compose script, after the migrations', () => {
    const configMap = find(manifests, 'ConfigMap', 'shop-trackops-connectors').data as Record<string, string>;
    const debezium = path.join(repoRoot, 'debezium');
    const connectorFiles = fs.readdirSync(debezium).filter((f) => f.endsWith('.json'));
    expect(connectorFiles.length).toBeGreaterThan(0);
    expect(Object.keys(configMap).sort()).toEqual(['register-connectors.sh', ...connectorFiles].sort());
    for (const file of connectorFiles) {
      expect(configMap[file]?.trimEnd()).toBe(fs.readFileSync(path.join(debezium, file), 'utf8').trimEnd());
    }
    const script = fs.readFileSync(path.join(repoRoot, 'deploy', 'docker', 'register-connectors.sh'), 'utf8');
    expect(configMap['register-connectors.sh']?.trimEnd()).toBe(script.trimEnd());

    const job = find(manifests, 'Job', 'shop-trackops-connectors');
    const c = container(job);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? '']));
    for (const file of connectorFiles) {
      const text = fs.readFileSync(path.join(debezium, file), 'utf8');
      for (const [, placeholder] of text.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)) {
        expect({ file, placeholder, set: (env[placeholder ?? ''] ?? '') !== '' }).toEqual({
          file,
          placeholder,
          set: true,
        });
      }
    }
    const apiEnv = environmentOf(manifests, container(find(manifests, 'Deployment', 'shop-trackops-api')));
    expect(env.KAFKA_CONNECT_URL).toBe(apiEnv.KAFKA_CONNECT_URL);
    const mounted = (c.volumeMounts ?? []).map((m) => m.mountPath);
    expect(c.command.slice(1)).toEqual(expect.arrayContaining(mounted));
    expect(podSpec(job).volumes?.[0]?.configMap?.name).toBe('shop-trackops-connectors');
    const hooks = (name: string) => find(manifests, 'Job', name).metadata.annotations ?? {};
    expect(Number(hooks('shop-trackops-connectors')['helm.sh/hook-weight'])).toBeGreaterThan(
      Number(hooks('shop-trackops-migrations')['helm.sh/hook-weight']),
    );
  });

  it('uses a Secret the operator manages when one is named, and creates none', () => {
    const rendered = render(['--set-string', 'secrets.existingSecret=trackops-prod']);
    expect(rendered.filter((m) => m.kind === 'Secret')).toEqual([]);
    for (const name of PROCESSES) {
      const refs = container(find(rendered, 'Deployment', `shop-trackops-${name}`)).envFrom ?? [];
      expect(refs).toContainEqual({ secretRef: { name: 'trackops-prod' } });
    }
  });

  it("sends the app processes' traces over OTLP, sampled, when values say so", () => {
    const rendered = render([
      ...secretFlags,
      '--set',
      'telemetry.OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318',
      '--set',
      'telemetry.OTEL_TRACES_SAMPLER=parentbased_traceidratio',
      '--set',
      'telemetry.OTEL_TRACES_SAMPLER_ARG=0.1',
    ]);
    for (const name of PROCESSES) {
      const env = environmentOf(rendered, container(find(rendered, 'Deployment', `shop-trackops-${name}`)));
      expect(chooseExporter(env)).toEqual({ kind: 'otlp', endpoint: 'http://otel-collector:4318' });
      expect(env).toMatchObject({
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
      });
    }
  });

  it('keeps a sampling ratio of 0 (no new trace kept), which helm hands over as the number 0', () => {
    const rendered = render([...secretFlags, '--set', 'telemetry.OTEL_TRACES_SAMPLER_ARG=0']);
    const env = environmentOf(rendered, container(find(rendered, 'Deployment', 'shop-trackops-api')));
    expect(env.OTEL_TRACES_SAMPLER_ARG).toBe('0');
  });
});
