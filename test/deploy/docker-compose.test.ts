/**
 * docker-compose.yml cannot be run here (no Docker engine), so this keeps it consistent with the local
 * stack by construction: the same services, published ports, environment variable names, server
 * settings, topics and Temporal search attributes as deploy/stack/ and lib/config.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

import { CONFIG_KEYS, configSchema, loadConfig } from '../../lib/config';
import { PROJECT_TOPICS, TOPIC_PARTITIONS } from '../../deploy/kafka/topics';
import type { StackContext } from '../../deploy/stack/component';
import { appEnvironment } from '../../deploy/stack/components/app-process';
import { APP_NODE_FLAGS } from '../../deploy/stack/components';
import { COMPILED_ENTRIES, COMPILED_PRELOAD } from '../../deploy/build/build-dist';
import { ZIPKIN_VERSION } from '../../deploy/stack/components/zipkin';
import { chooseExporter } from '../../lib/telemetry/exporter';
import { CONTEXT_DATABASES } from '../../deploy/stack/components/postgres';
import { TEMPORAL_SEARCH_ATTRIBUTES, TEMPORAL_SQLITE_PRAGMAS } from '../../deploy/stack/components/temporal';
import { repoRoot, stackPaths } from '../../deploy/stack/paths';
import { stackPorts, type StackPorts } from '../../deploy/stack/ports';

type Scalar = string | number | boolean | null;

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, Scalar> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  volumes?: (string | { source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

const COMPOSE_FILE = path.join(repoRoot, 'docker-compose.yml');
const APP_SERVICES = ['api', 'worker', 'consumers'] as const;
const INFRA_SERVICES = ['postgres', 'redis', 'kafka', 'connect', 'temporal', 'zipkin', 'prometheus'] as const;
/** The OpenTelemetry variables the compose file hands the app processes, beyond lib/config.ts's. */
const TELEMETRY_KEYS = [
  'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'DEPLOYMENT_ENVIRONMENT',
] as const;
const ONE_SHOTS = ['migrate', 'kafka-init', 'connect-init'] as const;

/** Which published host port each service must have, by its name in deploy/stack/ports.ts. */
const PUBLISHED: Record<string, (keyof StackPorts)[]> = {
  postgres: ['POSTGRES_PORT'],
  redis: ['REDIS_PORT'],
  kafka: ['KAFKA_PORT'],
  connect: ['CONNECT_PORT'],
  temporal: ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT'],
  zipkin: ['ZIPKIN_PORT'],
  prometheus: ['PROMETHEUS_PORT'],
  api: ['API_PORT'],
  worker: ['WORKER_METRICS_PORT'],
  consumers: ['CONSUMERS_METRICS_PORT'],
};

function loadCompose(text = fs.readFileSync(COMPOSE_FILE, 'utf8')): ComposeFile {
  // merge: docker compose resolves `<<: *anchor` merge keys, and so must we.
  const doc = YAML.parse(text, { merge: true }) as ComposeFile | null;
  if (!doc || typeof doc.services !== 'object') throw new Error('docker-compose.yml has no services');
  return doc;
}

/** Compose's variable interpolation: ${NAME}, ${NAME:-default}, ${NAME-default} and $$ for a literal $. */
function interpolate(value: string, env: NodeJS.ProcessEnv = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g,
    (match, name: string | undefined, op: string | undefined, fallback: string | undefined) => {
      if (match === '$$' || name === undefined) return '$';
      const set = env[name];
      if (op === ':-') return set === undefined || set === '' ? (fallback ?? '') : set;
      if (op === '-') return set === undefined ? (fallback ?? '') : set;
      return set ?? '';
    },
  );
}

function service(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** A service's environment as written (before interpolation), whichever syntax it uses. */
function rawEnvironment(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]),
  );
}

/** The environment a container gets when compose runs with the given shell environment. */
function environment(svc: ComposeService, shell: NodeJS.ProcessEnv = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(rawEnvironment(svc)).map(([key, value]) => [key, interpolate(value, shell)]),
  );
}

/** A command as its arguments; a string is split as compose splits it (no quoting used here). */
function argv(command: string | string[] | undefined): string[] {
  if (command === undefined) return [];
  return Array.isArray(command) ? command.map(String) : command.trim().split(/\s+/);
}

interface PortMapping {
  hostIp?: string;
  published: number;
  target: number;
}

function publishedPorts(svc: ComposeService, shell: NodeJS.ProcessEnv = {}): PortMapping[] {
  return (svc.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return {
        published: Number(interpolate(String(port.published ?? port.target), shell)),
        target: port.target,
      };
    }
    const parts = interpolate(String(port), shell)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.pop());
    const published = Number(parts.pop() ?? target);
    return { hostIp: parts.pop(), published, target };
  });
}

function dependsOn(svc: ComposeService): Record<string, string | undefined> {
  const deps = svc.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep.condition]));
}

/** `key=value` lines of a .properties file, comments and blank lines skipped. */
function readProperties(file: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const at = trimmed.indexOf('=');
    properties.set(trimmed.slice(0, at).trim(), trimmed.slice(at + 1).trim());
  }
  return properties;
}

/** The local stack's app environment with no overrides, as `trackops stack up` passes it. */
function localAppEnvironment(): NodeJS.ProcessEnv {
  const ctx: StackContext = {
    paths: stackPaths({}),
    ports: stackPorts({}),
    env: {},
    progress: () => undefined,
  };
  return appEnvironment(ctx);
}

/** The keys of CONFIG_KEYS the local stack sets for its app processes. */
function locallySetConfigKeys(): string[] {
  const local = localAppEnvironment();
  return CONFIG_KEYS.filter((key) => local[key] !== undefined);
}

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const ports = stackPorts({});

  it('has every service of the local stack, the app processes and the one-shots', () => {
    for (const name of [...INFRA_SERVICES, ...APP_SERVICES, ...ONE_SHOTS]) {
      expect(compose.services).toHaveProperty([name]);
    }
  });

  it.each(Object.entries(PUBLISHED))(
    'publishes %s on the default ports of deploy/stack/ports.ts',
    (name, keys) => {
      const published = publishedPorts(service(compose, name)).map((p) => p.published);
      for (const key of keys) expect(published).toContain(ports[key]);
    },
  );

  it.each(Object.entries(PUBLISHED))(
    'moves %s to another host port with the variable that moves it in the local stack',
    (name, keys) => {
      const shell = Object.fromEntries(keys.map((key, i) => [key, String(40000 + i)]));
      const published = publishedPorts(service(compose, name), shell).map((p) => p.published);
      keys.forEach((_key, i) => expect(published).toContain(40000 + i));
    },
  );

  it('publishes ports on the loopback interface only, as the local stack binds them', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const port of publishedPorts(svc)) {
        expect({ service: name, hostIp: port.hostIp }).toEqual({ service: name, hostIp: '127.0.0.1' });
      }
    }
  });

  describe.each(APP_SERVICES)('app service %s', (name) => {
    // Looked up in beforeAll, so a missing service fails these tests by name instead of the whole file.
    let svc: ComposeService;
    let env: Record<string, string>;
    beforeAll(() => {
      svc = service(compose, name);
      env = environment(svc);
    });

    it('sets every config variable the local stack sets for its app processes', () => {
      const keys = locallySetConfigKeys();
      // A sanity check that the fake context reaches the interesting keys at all.
      expect(keys).toEqual(
        expect.arrayContaining(['ORDERS_DATABASE_URL', 'KAFKA_BROKERS', 'TEMPORAL_ADDRESS']),
      );
      expect(Object.keys(env).sort()).toEqual(expect.arrayContaining(keys.sort()));
    });

    it('sets every variable of lib/config.ts and the telemetry ones, and only those, to values they accept', () => {
      expect(Object.keys(env).sort()).toEqual([...CONFIG_KEYS, ...TELEMETRY_KEYS].sort());
      expect(() => loadConfig(env)).not.toThrow();
    });

    it('exports its traces to the zipkin service unless OTLP is configured', () => {
      expect(chooseExporter(env)).toEqual({ kind: 'zipkin', url: 'http://zipkin:9411/api/v2/spans' });
      expect(
        chooseExporter(environment(svc, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })),
      ).toEqual({
        kind: 'otlp',
        endpoint: 'http://collector:4318',
      });
      expect(dependsOn(svc)).toMatchObject({ zipkin: 'service_healthy' });
    });

    it('keeps the defaults of lib/config.ts for what the local stack does not set', () => {
      const defaults = configSchema.parse({});
      const config = loadConfig(env);
      const local = new Set(locallySetConfigKeys());
      for (const key of CONFIG_KEYS.filter((k) => !local.has(k))) {
        expect({ key, value: config[key] }).toEqual({ key, value: defaults[key] });
      }
    });

    it('points at the compose services, on the ports the servers listen on inside the network', () => {
      const config = loadConfig(env);
      const kafkaInternal = dockerListener(compose);
      expect(new URL(config.ORDERS_DATABASE_URL)).toMatchObject({ hostname: 'postgres', port: '5432' });
      expect(new URL(config.INVENTORY_DATABASE_URL)).toMatchObject({ hostname: 'postgres', port: '5432' });
      expect(new URL(config.ORDERS_DATABASE_URL).pathname).toBe('/trackops_orders');
      expect(new URL(config.INVENTORY_DATABASE_URL).pathname).toBe('/trackops_inventory');
      expect(new URL(config.REDIS_URL)).toMatchObject({ hostname: 'redis', port: '6379' });
      expect(config.KAFKA_BROKERS).toBe(kafkaInternal);
      expect(config.KAFKA_CONNECT_URL).toBe('http://connect:8083');
      expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
      // Inside a container the app must listen beyond loopback for the published ports to reach it.
      expect(config.HOST).toBe('0.0.0.0');
      expect(config.API_PORT).toBe(ports.API_PORT);
      expect(config.WORKER_METRICS_PORT).toBe(ports.WORKER_METRICS_PORT);
      expect(config.CONSUMERS_METRICS_PORT).toBe(ports.CONSUMERS_METRICS_PORT);
    });

    it('takes the app database password from TRACKOPS_DB_PASSWORD, as the local stack does', () => {
      const config = loadConfig(environment(svc, { TRACKOPS_DB_PASSWORD: 's3cret' }));
      expect(new URL(config.ORDERS_DATABASE_URL).password).toBe('s3cret');
      expect(new URL(config.INVENTORY_DATABASE_URL).password).toBe('s3cret');
      expect(new URL(loadConfig(env).ORDERS_DATABASE_URL).password).toBe('trackops');
    });

    it("runs the image's compiled entry point with the OTel preload, node flags as the stack", () => {
      expectBuildsFromDockerfile(svc, 'runtime');
      expect(argv(svc.command)).toEqual([
        'node',
        ...APP_NODE_FLAGS[name],
        '--require',
        `./${COMPILED_PRELOAD}`,
        COMPILED_ENTRIES[name],
      ]);
    });

    it('starts after the migrations and the infrastructure', () => {
      expect(dependsOn(svc)).toMatchObject({
        migrate: 'service_completed_successfully',
        postgres: 'service_healthy',
        redis: 'service_healthy',
        temporal: 'service_healthy',
        'kafka-init': 'service_completed_successfully',
      });
    });
  });

  it('publishes each app process on the port its own config variable names', () => {
    const portKey = {
      api: 'API_PORT',
      worker: 'WORKER_METRICS_PORT',
      consumers: 'CONSUMERS_METRICS_PORT',
    } as const;
    for (const name of APP_SERVICES) {
      const svc = service(compose, name);
      const targets = publishedPorts(svc).map((p) => p.target);
      expect(targets).toContain(Number(environment(svc)[portKey[name]]));
    }
  });

  it('has a Dockerfile at the repository root that the app services build from', () => {
    expect(fs.existsSync(path.join(repoRoot, 'Dockerfile'))).toBe(true);
    expect(fs.existsSync(path.join(repoRoot, '.dockerignore'))).toBe(true);
  });

  it('applies both contexts’ Prisma migrations in a one-shot that must succeed first', () => {
    const migrate = service(compose, 'migrate');
    // The build stage: the runtime one has no schema, migration or Prisma config.
    expectBuildsFromDockerfile(migrate, 'build');
    expect(migrate.image).not.toBe(service(compose, 'api').image);
    const script = argv(migrate.command).join(' ');
    for (const context of ['orders', 'inventory']) {
      expect(script).toContain(`prisma migrate deploy --config prisma/${context}/prisma.config.ts`);
    }
    expect(dependsOn(migrate)).toMatchObject({ postgres: 'service_healthy' });
    // The migrations read the same database URLs as the app.
    expect(environment(migrate)).toMatchObject({
      ORDERS_DATABASE_URL: environment(service(compose, 'api')).ORDERS_DATABASE_URL,
      INVENTORY_DATABASE_URL: environment(service(compose, 'api')).INVENTORY_DATABASE_URL,
    });
  });

  describe('postgres', () => {
    let svc: ComposeService;
    beforeAll(() => {
      svc = service(compose, 'postgres');
    });

    it('runs the official postgres:15 image with logical decoding for Debezium', () => {
      expect(svc.image).toBe('postgres:15');
      const args = argv(svc.command);
      expect(args[0]).toBe('postgres');
      for (const setting of [
        'wal_level=logical',
        'max_wal_senders=10',
        'max_replication_slots=10',
        'max_slot_wal_keep_size=2GB',
      ]) {
        expect(args).toContain(setting);
      }
    });

    it('creates the roles, databases and grants of postgres.ts from a mounted init script', () => {
      const mount = (svc.volumes ?? [])
        .map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`))
        .find((v) => v.includes(':/docker-entrypoint-initdb.d/'));
      expect(mount).toBeDefined();
      const script = path.join(repoRoot, (mount ?? '').split(':')[0] ?? '');
      expect(path.relative(repoRoot, script)).toBe(path.join('deploy', 'docker', 'postgres-init.sh'));
      const sql = fs.readFileSync(script, 'utf8');
      for (const database of CONTEXT_DATABASES) {
        expect(sql).toContain(`CREATE ROLE ${database} WITH LOGIN CREATEDB PASSWORD :'app_password';`);
        expect(sql).toContain(`CREATE DATABASE ${database} OWNER ${database};`);
        expect(sql).toContain(`GRANT ${database} TO debezium;`);
      }
      expect(sql).toContain(`CREATE ROLE debezium WITH LOGIN REPLICATION PASSWORD :'debezium_password';`);
      expect(sql).toContain('app_password="${TRACKOPS_DB_PASSWORD:-trackops}"');
      expect(sql).toContain('debezium_password="${DEBEZIUM_DB_PASSWORD:-debezium}"');
      expect(environment(svc)).toMatchObject({
        TRACKOPS_DB_PASSWORD: 'trackops',
        DEBEZIUM_DB_PASSWORD: 'debezium',
      });
      expect(environment(svc, { TRACKOPS_DB_PASSWORD: 'a', DEBEZIUM_DB_PASSWORD: 'b' })).toMatchObject({
        TRACKOPS_DB_PASSWORD: 'a',
        DEBEZIUM_DB_PASSWORD: 'b',
      });
    });
  });

  it('runs redis with the local stack’s persistence and eviction settings', () => {
    const args = argv(service(compose, 'redis').command);
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(args).toEqual(expect.arrayContaining(['--appendonly', '--maxmemory', '--maxmemory-policy']));
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--maxmemory')).toBe('512mb');
    expect(flag('--maxmemory-policy')).toBe('volatile-lru');
  });

  describe('kafka', () => {
    let svc: ComposeService;
    let env: Record<string, string>;
    beforeAll(() => {
      svc = service(compose, 'kafka');
      env = environment(svc);
    });

    it('runs single-node combined KRaft with a listener for the host and one for containers', () => {
      expect(svc.image).toBe('apache/kafka:4.3.0');
      expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
      expect(env.KAFKA_NODE_ID).toBe('1');
      expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@[^:]+:9093$/);
      expect(env.KAFKA_LISTENERS).toContain(':9092');
      expect(env.KAFKA_LISTENERS).toContain('CONTROLLER://:9093');
      expect(env.KAFKA_ADVERTISED_LISTENERS).toContain(`PLAINTEXT://127.0.0.1:${ports.KAFKA_PORT}`);
      // A moved host port must be advertised too, or host clients are sent to the wrong port.
      const moved = environment(svc, { KAFKA_PORT: '19999' }).KAFKA_ADVERTISED_LISTENERS;
      expect(moved).toContain('PLAINTEXT://127.0.0.1:19999');
      // The image reads every KAFKA_* variable as a broker property, and rejects KAFKA_PORT.
      expect(env).not.toHaveProperty('KAFKA_PORT');
    });

    it('has every setting of deploy/kafka/server.properties that is not about listeners or paths', () => {
      // These differ by design: the container has a third listener and its own paths.
      const differ = new Set([
        'controller.quorum.voters',
        'listeners',
        'advertised.listeners',
        'inter.broker.listener.name',
        'listener.security.protocol.map',
        'log.dirs',
      ]);
      const properties = readProperties(path.join(repoRoot, 'deploy', 'kafka', 'server.properties'));
      expect(properties.get('num.partitions')).toBe(String(TOPIC_PARTITIONS));
      for (const [key, value] of properties) {
        if (differ.has(key)) continue;
        // The image's mapping: KAFKA_ prefix, upper case, '.' -> '_', '_' -> '__', '-' -> '___'.
        const variable = `KAFKA_${key.replace(/-/g, '___').replace(/_/g, '__').replace(/\./g, '_').toUpperCase()}`;
        expect({ property: key, value: env[variable] }).toEqual({ property: key, value });
      }
    });

    it('creates every project topic, with its partitions, in the kafka-init one-shot', () => {
      const init = service(compose, 'kafka-init');
      const initEnv = environment(init);
      expect((initEnv.TRACKOPS_TOPICS ?? '').split(/\s+/).filter(Boolean).sort()).toEqual(
        [...PROJECT_TOPICS].sort(),
      );
      expect(initEnv.TRACKOPS_TOPIC_PARTITIONS).toBe(String(TOPIC_PARTITIONS));
      expect(dependsOn(init)).toMatchObject({ kafka: 'service_healthy' });
      const script = argv(init.command).join(' ');
      expect(script).toContain(`--bootstrap-server ${dockerListener(compose)}`);
      expect(script).toContain('$$TRACKOPS_TOPICS');
    });
  });

  describe('connect', () => {
    let svc: ComposeService;
    let env: Record<string, string>;
    beforeAll(() => {
      svc = service(compose, 'connect');
      env = environment(svc);
    });

    it("runs Debezium's Connect image against the containers' Kafka listener", () => {
      expect(svc.image).toBe('quay.io/debezium/connect:3.6.1.Final');
      expect(env.BOOTSTRAP_SERVERS).toBe(dockerListener(compose));
      expect(env.GROUP_ID).toBe('trackops-connect');
      expect(dependsOn(svc)).toMatchObject({ kafka: 'service_healthy' });
    });

    it('has the worker settings of deploy/kafka/connect-distributed.properties', () => {
      // Addresses and the plugin folder differ by design; the image's own plugin discovery is kept.
      const differ = new Set([
        'bootstrap.servers',
        'listeners',
        'rest.advertised.host.name',
        'rest.advertised.port',
        'plugin.path',
        'plugin.discovery',
      ]);
      // Settings the image's entrypoint takes under names of its own.
      const imageNames: Record<string, string> = {
        'group.id': 'GROUP_ID',
        'config.storage.topic': 'CONFIG_STORAGE_TOPIC',
        'offset.storage.topic': 'OFFSET_STORAGE_TOPIC',
        'status.storage.topic': 'STATUS_STORAGE_TOPIC',
        'key.converter': 'KEY_CONVERTER',
        'value.converter': 'VALUE_CONVERTER',
        'offset.flush.interval.ms': 'OFFSET_FLUSH_INTERVAL_MS',
      };
      const properties = readProperties(
        path.join(repoRoot, 'deploy', 'kafka', 'connect-distributed.properties'),
      );
      for (const [key, value] of properties) {
        if (differ.has(key)) continue;
        // The entrypoint maps CONNECT_<NAME> to a property by lower-casing it and turning every '_' into '.'.
        expect(key).not.toContain('_');
        const variable = imageNames[key] ?? `CONNECT_${key.replace(/\./g, '_').toUpperCase()}`;
        expect({ property: key, value: env[variable] }).toEqual({ property: key, value });
      }
      expect(env.DEBEZIUM_DB_PASSWORD).toBe('debezium');
    });

    it('registers every debezium/*.json in a one-shot, with the placeholders they use', () => {
      const init = service(compose, 'connect-init');
      const mounts = (init.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
      expect(mounts).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^\.\/debezium:[^:]+:ro$/),
          expect.stringMatching(/^\.\/deploy\/docker\/register-connectors\.sh:[^:]+:ro$/),
        ]),
      );
      expect(fs.existsSync(path.join(repoRoot, 'deploy', 'docker', 'register-connectors.sh'))).toBe(true);
      expect(dependsOn(init)).toMatchObject({
        connect: 'service_healthy',
        migrate: 'service_completed_successfully',
      });
      const initEnv = environment(init);
      expect(initEnv.KAFKA_CONNECT_URL).toBe(environment(service(compose, 'api')).KAFKA_CONNECT_URL);
      const dir = path.join(repoRoot, 'debezium');
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
      for (const file of files) {
        const text = fs.readFileSync(path.join(dir, file), 'utf8');
        for (const [, placeholder] of text.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)) {
          expect({ file, placeholder, set: initEnv[placeholder ?? ''] !== undefined }).toEqual({
            file,
            placeholder,
            set: true,
          });
        }
      }
    });
  });

  it("runs the local stack's Zipkin version with in-memory storage, as the trace backend", () => {
    const zipkin = service(compose, 'zipkin');
    expect(zipkin.image).toBe(`openzipkin/zipkin:${ZIPKIN_VERSION}`);
    expect(environment(zipkin)).toMatchObject({ STORAGE_TYPE: 'mem', SELF_TRACING_ENABLED: 'false' });
    expect(publishedPorts(zipkin).map((p) => p.target)).toEqual([9411]);
  });

  describe('temporal', () => {
    let svc: ComposeService;
    beforeAll(() => {
      svc = service(compose, 'temporal');
    });

    it('runs the CLI dev server, reachable from other containers, with a persistent database', () => {
      expect(svc.image).toMatch(/^temporalio\/temporal:/);
      const args = argv(svc.command);
      expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
      const flag = (name: string) => args[args.indexOf(name) + 1];
      expect(flag('--ip')).toBe('0.0.0.0');
      expect(flag('--ui-ip')).toBe('0.0.0.0');
      expect(flag('--port')).toBe(String(ports.TEMPORAL_PORT));
      expect(flag('--ui-port')).toBe(String(ports.TEMPORAL_UI_PORT));
      expect(flag('--db-filename')).toMatch(/^\/data\//);
      expect(svc.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/data$/)]));
    });

    it('tunes SQLite with the pragmas of the local stack', () => {
      const args = argv(svc.command);
      const passed = args.flatMap((arg, i) => (arg === '--sqlite-pragma' ? [args[i + 1] ?? ''] : []));
      expect(passed).toEqual([...TEMPORAL_SQLITE_PRAGMAS]);
    });

    it('creates the search attributes of temporal.ts: OrderId, CustomerId, OrderStatus', () => {
      const args = argv(svc.command);
      const passed = args.flatMap((arg, i) => (arg === '--search-attribute' ? [args[i + 1] ?? ''] : []));
      expect(passed.map((a) => a.split('=')[0]).sort()).toEqual(['CustomerId', 'OrderId', 'OrderStatus']);
      expect(passed.sort()).toEqual(
        Object.entries(TEMPORAL_SEARCH_ATTRIBUTES)
          .map(([attribute, type]) => `${attribute}=${type}`)
          .sort(),
      );
    });
  });
});

/** The Kafka listener other containers use: the advertised DOCKER listener's host:port. */
function dockerListener(compose: ComposeFile): string {
  const advertised = environment(service(compose, 'kafka')).KAFKA_ADVERTISED_LISTENERS ?? '';
  const docker = advertised.split(',').find((listener) => listener.startsWith('DOCKER://'));
  if (!docker) throw new Error('kafka advertises no DOCKER listener for the other containers');
  return docker.slice('DOCKER://'.length);
}

/** The stages `FROM <image> AS <name>` of the Dockerfile. */
function dockerfileStages(): string[] {
  const text = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  return [...text.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)\s*$/gim)].map((match) => match[1]!);
}

function expectBuildsFromDockerfile(svc: ComposeService, target: string): void {
  const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
  expect(build?.target).toBe(target);
  expect(dockerfileStages()).toContain(target);
  expect(build).toBeDefined();
  const context = path.resolve(repoRoot, build?.context ?? '.');
  expect(context).toBe(repoRoot);
  expect(fs.existsSync(path.join(context, build?.dockerfile ?? 'Dockerfile'))).toBe(true);
  expect(build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
}
