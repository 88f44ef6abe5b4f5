import path from 'node:path';

import { connectAnswers, loadConnectorConfigs, putConnector, waitForRunning } from '../../kafka/connect-rest';
import { installKafkaJars, kafkaLayout } from '../../kafka/install';
import { javaBinary, jvmArgs, renderTemplate, waitUntilHealthy, writeRendered } from '../../kafka/jvm';
import { portOpen } from '../commands';
import type { Component, StackContext } from '../component';
import { repoRoot } from '../paths';
import { LOOPBACK } from '../ports';
import { launchDetached, livePid, stopProcess } from '../processes';

/** Measured: the worker with the Debezium plugin and one running connector stays far below this. */
const HEAP = ['-Xms128m', '-Xmx768m'];

/** The same local default as the postgres component gives the debezium role. */
const DEFAULT_DEBEZIUM_DB_PASSWORD = 'debezium';

const CONNECTORS_DIR = path.join(repoRoot, 'debezium');
const RUNNING_TIMEOUT_MS = 60_000;

function connectFiles(ctx: StackContext) {
  return {
    config: path.join(ctx.paths.run, 'connect-distributed.properties'),
    pidFile: path.join(ctx.paths.run, 'connect.pid'),
    logFile: path.join(ctx.paths.logs, 'connect.log'),
  };
}

/**
 * The worker resolves ${env:DEBEZIUM_DB_PASSWORD} in connector configs from its own environment,
 * so the password is never stored in Kafka nor shown by the REST API. Changing it needs a restart.
 */
function workerEnv(ctx: StackContext): NodeJS.ProcessEnv {
  return { ...ctx.env, DEBEZIUM_DB_PASSWORD: ctx.env.DEBEZIUM_DB_PASSWORD ?? DEFAULT_DEBEZIUM_DB_PASSWORD };
}

/** Values for ${NAME} placeholders in debezium/*.json: the environment, then the validated ports. */
function placeholderValues(ctx: StackContext): Record<string, string> {
  const values: Record<string, string> = { POSTGRES_HOST: LOOPBACK };
  for (const [key, value] of Object.entries(ctx.env)) if (value !== undefined) values[key] = value;
  for (const [key, value] of Object.entries(ctx.ports)) values[key] = String(value);
  return values;
}

const isHealthy = (ctx: StackContext) => connectAnswers(ctx.ports.CONNECT_PORT);

export const connectComponent: Component = {
  name: 'connect',
  // Postgres is not needed to start the worker, but configure starts connectors that stream from it.
  dependsOn: ['kafka', 'postgres'],
  startTimeoutMs: 120_000,

  port: (ctx) => ctx.ports.CONNECT_PORT,
  logFile: (ctx) => connectFiles(ctx).logFile,
  pid: (ctx) => livePid(connectFiles(ctx).pidFile),

  install: (ctx) => installKafkaJars(ctx, 'connect'),

  isHealthy,

  async start(ctx) {
    if (await isHealthy(ctx)) return;
    const files = connectFiles(ctx);
    if (livePid(files.pidFile) === undefined) {
      if (await portOpen(ctx.ports.CONNECT_PORT)) {
        throw new Error(
          `port ${ctx.ports.CONNECT_PORT} is taken by a process that is not our Connect worker`,
        );
      }
      const layout = kafkaLayout(ctx.paths);
      writeRendered(
        files.config,
        renderTemplate('connect-distributed.properties', {
          KAFKA_PORT: ctx.ports.KAFKA_PORT,
          CONNECT_PORT: ctx.ports.CONNECT_PORT,
          PLUGIN_PATH: layout.plugins,
        }),
      );
      launchDetached({
        command: javaBinary(ctx.env),
        args: jvmArgs({
          heap: HEAP,
          lib: layout.lib,
          mainClass: 'org.apache.kafka.connect.cli.ConnectDistributed',
          args: [files.config],
        }),
        logFile: files.logFile,
        pidFile: files.pidFile,
        cwd: ctx.paths.run,
        env: workerEnv(ctx),
      });
    }
    await waitUntilHealthy(
      'connect',
      files.pidFile,
      files.logFile,
      () => isHealthy(ctx),
      connectComponent.startTimeoutMs,
    );
  },

  async configure(ctx) {
    const port = ctx.ports.CONNECT_PORT;
    for (const [name, config] of loadConnectorConfigs(CONNECTORS_DIR, placeholderValues(ctx))) {
      const outcome = await putConnector(port, name, config);
      if (outcome !== 'unchanged') ctx.progress('connect', `connector ${name} ${outcome}`);
      await waitForRunning(port, name, RUNNING_TIMEOUT_MS);
      ctx.progress('connect', `connector ${name} RUNNING`);
    }
  },

  async stop(ctx) {
    // Stopping lets Debezium commit its last offsets and close the replication connection cleanly.
    await stopProcess(connectFiles(ctx).pidFile, 60_000);
  },

  // Connect keeps all its state in Kafka topics (trackops-connect-*): resetting Kafka resets it.
  dataDirs: () => [],
};
