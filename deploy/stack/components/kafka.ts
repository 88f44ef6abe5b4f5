import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { brokerAnswers, ensureTopics } from '../../kafka/admin';
import { installKafkaJars, kafkaLayout } from '../../kafka/install';
import { javaBinary, jvmArgs, renderTemplate, waitUntilHealthy, writeRendered } from '../../kafka/jvm';
import { PROJECT_TOPICS, TOPIC_PARTITIONS } from '../../kafka/topics';
import { mustRun, portOpen } from '../commands';
import type { Component, StackContext } from '../component';
import { launchDetached, livePid, stopProcess } from '../processes';

/** Measured: the idle broker with the project's topics stays far below this. */
const HEAP = ['-Xms128m', '-Xmx512m'];

function kafkaFiles(ctx: StackContext) {
  const data = path.join(ctx.paths.data, 'kafka');
  return {
    data,
    /** log.dirs: partitions and the KRaft metadata log. */
    logDirs: path.join(data, 'kraft-logs'),
    clusterIdFile: path.join(data, 'cluster.id'),
    config: path.join(ctx.paths.run, 'kafka-server.properties'),
    pidFile: path.join(ctx.paths.run, 'kafka.pid'),
    logFile: path.join(ctx.paths.logs, 'kafka.log'),
  };
}

/** Kafka's Uuid format: 16 random bytes, URL-safe base64 without padding, never starting with '-'. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The cluster id lives beside the logs, so a restart (or a re-format after a crash) keeps the same cluster. */
function clusterIdFor(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const id = newClusterId();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${id}\n`);
  return id;
}

async function formatStorage(ctx: StackContext): Promise<void> {
  const files = kafkaFiles(ctx);
  // meta.properties is the storage tool's own proof of a format; skipping saves a JVM start.
  if (fs.existsSync(path.join(files.logDirs, 'meta.properties'))) return;
  ctx.progress('kafka', `formatting KRaft storage in ${files.logDirs}`);
  await mustRun(
    javaBinary(ctx.env),
    jvmArgs({
      heap: ['-Xmx256m'],
      lib: kafkaLayout(ctx.paths).lib,
      mainClass: 'kafka.tools.StorageTool',
      args: [
        'format',
        '--cluster-id',
        clusterIdFor(files.clusterIdFile),
        '--config',
        files.config,
        '--ignore-formatted',
      ],
    }),
    { env: ctx.env },
  );
}

function writeServerConfig(ctx: StackContext): void {
  const files = kafkaFiles(ctx);
  writeRendered(
    files.config,
    renderTemplate('server.properties', {
      KAFKA_PORT: ctx.ports.KAFKA_PORT,
      KAFKA_CONTROLLER_PORT: ctx.ports.KAFKA_CONTROLLER_PORT,
      KAFKA_LOG_DIR: files.logDirs,
    }),
  );
}

const isHealthy = (ctx: StackContext) => brokerAnswers(ctx.ports.KAFKA_PORT);

export const kafkaComponent: Component = {
  name: 'kafka',
  dependsOn: [],
  startTimeoutMs: 90_000,

  port: (ctx) => ctx.ports.KAFKA_PORT,
  logFile: (ctx) => kafkaFiles(ctx).logFile,
  pid: (ctx) => livePid(kafkaFiles(ctx).pidFile),

  install: (ctx) => installKafkaJars(ctx, 'kafka'),

  isHealthy,

  async start(ctx) {
    if (await isHealthy(ctx)) return;
    const files = kafkaFiles(ctx);
    // A broker of ours that is still booting (or replaying its log) only needs waiting for.
    if (livePid(files.pidFile) === undefined) {
      for (const port of [ctx.ports.KAFKA_PORT, ctx.ports.KAFKA_CONTROLLER_PORT]) {
        if (await portOpen(port))
          throw new Error(`port ${port} is taken by a process that is not our broker`);
      }
      fs.mkdirSync(files.data, { recursive: true });
      writeServerConfig(ctx);
      await formatStorage(ctx);
      launchDetached({
        command: javaBinary(ctx.env),
        args: jvmArgs({
          heap: HEAP,
          lib: kafkaLayout(ctx.paths).lib,
          mainClass: 'kafka.Kafka',
          args: [files.config],
        }),
        logFile: files.logFile,
        pidFile: files.pidFile,
        cwd: files.data,
        env: ctx.env,
      });
    }
    await waitUntilHealthy(
      'kafka',
      files.pidFile,
      files.logFile,
      () => isHealthy(ctx),
      kafkaComponent.startTimeoutMs,
    );
  },

  async configure(ctx) {
    const report = await ensureTopics(ctx.ports.KAFKA_PORT, PROJECT_TOPICS, TOPIC_PARTITIONS);
    if (report.created.length > 0) ctx.progress('kafka', `created topics: ${report.created.join(', ')}`);
    for (const { topic, partitions } of report.mismatched) {
      ctx.progress(
        'kafka',
        `topic ${topic} has ${partitions} partitions, not ${TOPIC_PARTITIONS}: left as it is`,
      );
    }
  },

  async stop(ctx) {
    // A controlled shutdown flushes and closes every partition; killing early means log recovery next start.
    await stopProcess(kafkaFiles(ctx).pidFile, 60_000);
  },

  dataDirs: (ctx) => [kafkaFiles(ctx).data],
};
