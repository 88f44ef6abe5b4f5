import fs from 'node:fs';
import path from 'node:path';

import { livePid, sleep, tailFile } from '../stack/processes';
import { kafkaDeployDir } from './install';

/** JAVA_HOME wins over PATH, as in Kafka's own scripts. Kafka 4 and Debezium 3 need Java 17+. */
export function javaBinary(env: NodeJS.ProcessEnv): string {
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

export interface JvmOptions {
  /** -Xms/-Xmx: sized per process, measured on the local stack. */
  heap: readonly string[];
  lib: string;
  mainClass: string;
  args: readonly string[];
}

/** The command line kafka-run-class.sh would build, minus JMX and GC log files. */
export function jvmArgs(options: JvmOptions): string[] {
  return [
    ...options.heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(kafkaDeployDir, 'log4j2.properties')}`,
    // The JVM expands the wildcard itself; no shell is involved.
    '-cp',
    path.join(options.lib, '*'),
    options.mainClass,
    ...options.args,
  ];
}

/** Fills {{NAME}} placeholders of a template in deploy/kafka; a placeholder left unfilled is a bug. */
export function renderTemplate(template: string, values: Record<string, string | number>): string {
  const text = fs.readFileSync(path.join(kafkaDeployDir, template), 'utf8');
  const missing = new Set<string>();
  const rendered = text.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) missing.add(name);
    return String(value ?? '');
  });
  if (missing.size > 0) throw new Error(`${template}: no value for ${[...missing].join(', ')}`);
  return rendered;
}

export function writeRendered(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/**
 * Waits for a freshly launched JVM to become healthy. Fails at once, with the end of its log, when
 * the process exits: a bad config or a busy port should not cost the whole start timeout.
 */
export async function waitUntilHealthy(
  what: string,
  pidFile: string,
  logFile: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (livePid(pidFile) === undefined)
      throw new Error(`${what} exited during start-up:\n${tailFile(logFile)}`);
    if (Date.now() > deadline) {
      throw new Error(`${what} not healthy after ${Math.round(timeoutMs / 1000)}s:\n${tailFile(logFile)}`);
    }
    await sleep(500);
  }
}
