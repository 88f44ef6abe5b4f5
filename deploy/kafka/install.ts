import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { installDebianPackages } from '../stack/apt';
import { commandExists, mustRun } from '../stack/commands';
import type { ComponentName, StackContext } from '../stack/component';
import { repoRoot, type StackPaths } from '../stack/paths';

/** deploy/kafka: the Maven project, the config templates and the log configuration. */
export const kafkaDeployDir = path.join(repoRoot, 'deploy', 'kafka');

const POMS = ['pom.xml', 'lib/pom.xml', 'debezium-connector-postgres/pom.xml'];

/** Jars that prove a copy finished: Maven copies file by file, so an interrupted run leaves a partial folder. */
const LIB_WITNESSES = ['kafka_2.13-4.3.0.jar', 'connect-runtime-4.3.0.jar', 'log4j-slf4j-impl-2.25.4.jar'];
const PLUGIN_WITNESSES = ['debezium-connector-postgres-3.6.1.Final.jar', 'postgresql-42.7.11.jar'];

export interface KafkaLayout {
  home: string;
  /** Broker, tools and Connect worker classpath. */
  lib: string;
  /** Connect's plugin.path: one subfolder per plugin. */
  plugins: string;
  debeziumPostgres: string;
  /** Holds the hash of the POMs the jars were resolved from. */
  marker: string;
}

export function kafkaLayout(paths: StackPaths): KafkaLayout {
  const home = path.join(paths.tools, 'kafka');
  const plugins = path.join(home, 'plugins');
  return {
    home,
    lib: path.join(home, 'lib'),
    plugins,
    debeziumPostgres: path.join(plugins, 'debezium-connector-postgres'),
    marker: path.join(home, '.installed-poms.sha256'),
  };
}

function pomHash(): string {
  const hash = createHash('sha256');
  for (const pom of POMS) hash.update(`${pom}\n`).update(fs.readFileSync(path.join(kafkaDeployDir, pom)));
  return hash.digest('hex');
}

function hasAll(dir: string, jars: readonly string[]): boolean {
  return jars.every((jar) => fs.existsSync(path.join(dir, jar)));
}

export function kafkaJarsInstalled(paths: StackPaths): boolean {
  const layout = kafkaLayout(paths);
  let recorded = '';
  try {
    recorded = fs.readFileSync(layout.marker, 'utf8').trim();
  } catch {
    return false;
  }
  return (
    recorded === pomHash() &&
    hasAll(layout.lib, LIB_WITNESSES) &&
    hasAll(layout.debeziumPostgres, PLUGIN_WITNESSES)
  );
}

const SIZE_UNITS: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6 };

/** Turns Maven's one-line-per-file download log into a progress line every few seconds. */
function mavenProgress(report: (message: string) => void): (line: string) => void {
  let files = 0;
  let bytes = 0;
  let lastReport = Date.now();
  return (line) => {
    const step = /copy-dependencies \(default-cli\) @ (\S+) ---/.exec(line);
    if (step?.[1] && step[1] !== 'kafka-stack') report(`copying jars of ${step[1]}`);
    if (!line.includes('Downloaded from ')) return;
    files += 1;
    const size = /\((\d+(?:\.\d+)?) (B|kB|MB) at/.exec(line);
    if (size?.[1] && size[2]) bytes += Number(size[1]) * (SIZE_UNITS[size[2]] ?? 0);
    if (Date.now() - lastReport >= 3000) {
      lastReport = Date.now();
      report(`downloaded ${files} files (${(bytes / 1e6).toFixed(1)} MB) from Maven Central`);
    }
  };
}

async function resolveJars(ctx: StackContext, component: ComponentName): Promise<void> {
  if (kafkaJarsInstalled(ctx.paths)) return;
  const missing = [
    ...((await commandExists('mvn')) ? [] : ['maven']),
    ...((await commandExists('java')) ? [] : ['openjdk-17-jre-headless']),
  ];
  // Maven fetches the Kafka and Debezium jars; Java 17+ runs them.
  if (missing.length > 0) await installDebianPackages(missing, (m) => ctx.progress(component, m));
  const layout = kafkaLayout(ctx.paths);
  const report = (message: string) => ctx.progress(component, message);
  report(
    'resolving Kafka 4.3.0, Kafka Connect and Debezium 3.6.1 jars with Maven (first time: ~85 MB, under a minute)',
  );
  const started = Date.now();
  // Start from empty folders so jars of a previous POM version never stay on the classpath.
  fs.rmSync(layout.marker, { force: true });
  fs.rmSync(layout.lib, { recursive: true, force: true });
  fs.rmSync(layout.plugins, { recursive: true, force: true });
  await mustRun(
    'mvn',
    [
      '-B',
      '-Dstyle.color=never',
      '-f',
      path.join(kafkaDeployDir, 'pom.xml'),
      `-Dtrackops.kafka.home=${layout.home}`,
      'dependency:copy-dependencies',
    ],
    { env: ctx.env, onLine: mavenProgress(report) },
  );
  if (!hasAll(layout.lib, LIB_WITNESSES) || !hasAll(layout.debeziumPostgres, PLUGIN_WITNESSES)) {
    throw new Error(`Maven finished but the expected jars are missing under ${layout.home}`);
  }
  fs.writeFileSync(layout.marker, `${pomHash()}\n`);
  const count = (dir: string) => fs.readdirSync(dir).filter((file) => file.endsWith('.jar')).length;
  report(
    `installed ${count(layout.lib)} jars in lib/ and ${count(layout.debeziumPostgres)} in the Debezium plugin ` +
      `in ${Math.round((Date.now() - started) / 1000)}s`,
  );
}

let inFlight: Promise<void> | undefined;

/**
 * Puts the broker/Connect classpath and the Debezium plugin under <stack tools>/kafka. Kafka and
 * Connect share it, so concurrent installs of both components wait for the same Maven run.
 */
export function installKafkaJars(ctx: StackContext, component: ComponentName): Promise<void> {
  inFlight ??= resolveJars(ctx, component).finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}
