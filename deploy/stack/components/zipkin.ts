import fs from 'node:fs';
import path from 'node:path';

import { javaBinary, waitUntilHealthy } from '../../kafka/jvm';
import { installDebianPackages } from '../apt';
import { commandExists, mustRun, portOpen } from '../commands';
import type { Component, StackContext } from '../component';
import { launchDetached, livePid, stopProcess } from '../processes';
import { LOOPBACK } from '../ports';

/** The trace viewer: Zipkin's self-contained server (UI and API), in-memory storage. */
export const ZIPKIN_VERSION = '3.6.1';
const ARTIFACT = `io.zipkin:zipkin-server:${ZIPKIN_VERSION}:jar:exec`;
const JAR = `zipkin-server-${ZIPKIN_VERSION}-exec.jar`;
/**
 * In-memory storage keeps this many spans (oldest traces dropped first), about 400 orders with
 * everything their saga and the consumers did. Each span costs about 6 KiB of heap with its
 * indexes (measured with a 1 GiB heap: 381 MiB of old generation held 60 000). With 60 000 spans
 * in a 256 MiB heap, Zipkin spent most of a core in back-to-back full collections under the bench
 * (245 in four minutes), which cost the saga its throughput.
 */
const MAX_SPANS = 30_000;
const HEAP = ['-Xms64m', '-Xmx512m'];

function zipkinFiles(ctx: StackContext) {
  const home = path.join(ctx.paths.tools, 'zipkin');
  return {
    home,
    jar: path.join(home, JAR),
    pidFile: path.join(ctx.paths.run, 'zipkin.pid'),
    logFile: path.join(ctx.paths.logs, 'zipkin.log'),
  };
}

async function isHealthy(ctx: StackContext): Promise<boolean> {
  try {
    const response = await fetch(`http://${LOOPBACK}:${ctx.ports.ZIPKIN_PORT}/health`, {
      signal: AbortSignal.timeout(1500),
    });
    return response.ok && ((await response.json()) as { status?: string }).status === 'UP';
  } catch {
    return false;
  }
}

/** Zipkin's environment: ours minus anything that would switch on its Kafka or other collectors. */
function zipkinEnvironment(ctx: StackContext): NodeJS.ProcessEnv {
  const { KAFKA_BOOTSTRAP_SERVERS: _kafka, RABBIT_ADDRESSES: _rabbit, ...rest } = ctx.env;
  return {
    ...rest,
    STORAGE_TYPE: 'mem',
    MEM_MAX_SPANS: String(MAX_SPANS),
    QUERY_PORT: String(ctx.ports.ZIPKIN_PORT),
    // Zipkin's own Armeria server would trace itself into its own storage.
    SELF_TRACING_ENABLED: 'false',
  };
}

export const zipkinComponent: Component = {
  name: 'zipkin',
  dependsOn: [],
  startTimeoutMs: 90_000,
  port: (ctx) => ctx.ports.ZIPKIN_PORT,
  logFile: (ctx) => zipkinFiles(ctx).logFile,
  pid: (ctx) => livePid(zipkinFiles(ctx).pidFile),
  dataDirs: () => [],

  async install(ctx) {
    const files = zipkinFiles(ctx);
    if (fs.existsSync(files.jar)) return;
    const missing = [
      ...((await commandExists('mvn')) ? [] : ['maven']),
      ...((await commandExists('java')) ? [] : ['openjdk-17-jre-headless']),
    ];
    if (missing.length > 0) await installDebianPackages(missing, (m) => ctx.progress('zipkin', m));
    ctx.progress('zipkin', `fetching ${ARTIFACT} from Maven Central (first time: 135 MB)`);
    // Copied under a temporary name: an interrupted copy must not pass for an installed jar.
    const partial = path.join(files.home, 'partial');
    fs.rmSync(partial, { recursive: true, force: true });
    await mustRun(
      'mvn',
      [
        '-B',
        '-q',
        '-Dstyle.color=never',
        'dependency:copy',
        `-Dartifact=${ARTIFACT}`,
        `-DoutputDirectory=${partial}`,
      ],
      { env: ctx.env },
    );
    fs.renameSync(path.join(partial, JAR), files.jar);
    fs.rmSync(partial, { recursive: true, force: true });
  },

  isHealthy,

  async start(ctx) {
    if (await isHealthy(ctx)) return;
    const files = zipkinFiles(ctx);
    if (livePid(files.pidFile) === undefined) {
      if (await portOpen(ctx.ports.ZIPKIN_PORT))
        throw new Error(`port ${ctx.ports.ZIPKIN_PORT} is taken by a process that is not our Zipkin`);
      launchDetached({
        command: javaBinary(ctx.env),
        args: [
          ...HEAP,
          '-XX:+UseSerialGC',
          '-jar',
          files.jar,
          // Loopback only, like every other server of the local stack.
          `--armeria.ports[0].ip=${LOOPBACK}`,
          `--armeria.ports[0].port=${ctx.ports.ZIPKIN_PORT}`,
          '--armeria.ports[0].protocols=http',
        ],
        cwd: files.home,
        env: zipkinEnvironment(ctx),
        logFile: files.logFile,
        pidFile: files.pidFile,
      });
    }
    await waitUntilHealthy('zipkin', files.pidFile, files.logFile, () => isHealthy(ctx), this.startTimeoutMs);
  },

  async configure() {
    // In-memory storage needs no schema.
  },

  async stop(ctx) {
    await stopProcess(zipkinFiles(ctx).pidFile, 20_000);
  },
};
