import fs from 'node:fs';
import path from 'node:path';

import { sleep } from '../stack/processes';
import { LOOPBACK } from '../stack/ports';

export const POSTGRES_CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';

export type ConnectorConfig = Record<string, string>;

const connectUrl = (port: number, route: string) => `http://${LOOPBACK}:${port}${route}`;

/** The health probe's short wait; any other call is patient, since a freshly started worker's first answers are slow. */
const PROBE_TIMEOUT_MS = 3000;
const CALL_TIMEOUT_MS = 60_000;

async function request(
  port: number,
  method: string,
  route: string,
  body?: unknown,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<Response> {
  return fetch(connectUrl(port, route), {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Healthy: the REST API answers and the worker found the Debezium plugin on its plugin.path. */
export async function connectAnswers(port: number): Promise<boolean> {
  try {
    const connectors = await request(port, 'GET', '/connectors', undefined, PROBE_TIMEOUT_MS);
    if (!connectors.ok) return false;
    const plugins = (await expectOk(
      await request(port, 'GET', '/connector-plugins', undefined, PROBE_TIMEOUT_MS),
      'plugins',
    )) as Array<{
      class: string;
    }>;
    return plugins.some((plugin) => plugin.class === POSTGRES_CONNECTOR_CLASS);
  } catch {
    return false;
  }
}

/**
 * Fills ${NAME} placeholders from `values`. Kafka's own ${provider:key} references (a colon, lower
 * case) are left for the worker to resolve at run time.
 */
function substitute(file: string, config: ConnectorConfig, values: Record<string, string>): ConnectorConfig {
  const missing = new Set<string>();
  const filled = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      value.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_match, name: string) => {
        const replacement = values[name];
        if (replacement === undefined) missing.add(name);
        return replacement ?? '';
      }),
    ]),
  );
  if (missing.size > 0) throw new Error(`${file}: no value for ${[...missing].join(', ')}`);
  return filled;
}

/** Every <name>.json in `dir` is the config map of the connector <name>. */
export function loadConnectorConfigs(
  dir: string,
  values: Record<string, string>,
): Map<string, ConnectorConfig> {
  const connectors = new Map<string, ConnectorConfig>();
  for (const file of fs
    .readdirSync(dir)
    .filter((entry) => entry.endsWith('.json'))
    .sort()) {
    const parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as unknown;
    const isStringMap =
      typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      Object.values(parsed).every((value) => typeof value === 'string');
    if (!isStringMap) throw new Error(`${file}: a connector config is a flat JSON object of string values`);
    connectors.set(path.basename(file, '.json'), substitute(file, parsed as ConnectorConfig, values));
  }
  return connectors;
}

function sameConfig(a: ConnectorConfig, b: ConnectorConfig): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

/**
 * Creates or updates a connector. An unchanged config is not sent again: every PUT restarts the
 * connector, which would re-open the replication stream for nothing.
 */
export async function putConnector(
  port: number,
  name: string,
  config: ConnectorConfig,
): Promise<'created' | 'updated' | 'unchanged'> {
  const route = `/connectors/${encodeURIComponent(name)}/config`;
  const current = await request(port, 'GET', route);
  const wanted = { ...config, name };
  if (current.ok && sameConfig((await current.json()) as ConnectorConfig, wanted)) return 'unchanged';
  const existed = current.ok;
  if (!existed && current.status !== 404) await expectOk(current, `GET ${route}`);
  await expectOk(await request(port, 'PUT', route, wanted), `PUT ${route}`);
  return existed ? 'updated' : 'created';
}

interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: Array<{ id: number; state: string; trace?: string }>;
}

async function connectorStatus(port: number, name: string): Promise<ConnectorStatus | undefined> {
  const response = await request(port, 'GET', `/connectors/${encodeURIComponent(name)}/status`);
  if (response.status === 404) return undefined;
  return (await expectOk(response, `status of ${name}`)) as ConnectorStatus;
}

function firstFailure(status: ConnectorStatus): string | undefined {
  if (status.connector.state === 'FAILED') return status.connector.trace ?? 'connector FAILED';
  const task = status.tasks.find((candidate) => candidate.state === 'FAILED');
  return task ? (task.trace ?? `task ${task.id} FAILED`) : undefined;
}

/** The exception and its causes, without the frames: the root cause is usually the last line. */
function summarizeTrace(trace: string): string {
  const lines = trace.split('\n');
  return [lines[0] ?? '', ...lines.filter((line) => line.startsWith('Caused by:'))].join('\n');
}

/**
 * Waits until the connector and all its tasks run. A connector that failed earlier (say Postgres was
 * down) gets one restart; failing again is an error carrying the exception and its causes.
 */
export async function waitForRunning(port: number, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let restarted = false;
  for (;;) {
    const status = await connectorStatus(port, name);
    if (status) {
      const running =
        status.connector.state === 'RUNNING' &&
        status.tasks.length > 0 &&
        status.tasks.every((task) => task.state === 'RUNNING');
      if (running) return;
      const failure = firstFailure(status);
      if (failure !== undefined) {
        if (restarted) throw new Error(`connector ${name} failed:\n${summarizeTrace(failure)}`);
        restarted = true;
        const route = `/connectors/${encodeURIComponent(name)}/restart?includeTasks=true&onlyFailed=true`;
        await expectOk(await request(port, 'POST', route), `restart ${name}`);
        // The status topic still says FAILED for a moment after the restart is accepted.
        await sleep(3000);
        continue;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `connector ${name} not RUNNING after ${Math.round(timeoutMs / 1000)}s: ${JSON.stringify(status)}`,
      );
    }
    await sleep(1000);
  }
}
