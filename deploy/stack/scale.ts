/**
 * How many instances of each app process the local stack runs (`stack up --scale worker=2,api=2`),
 * and where each instance listens. The scale is kept in the run directory, so a later `stack up`
 * or `stack restart <component>` keeps it, until `stack down` of the whole stack or another --scale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../lib/config';
import type { StackContext } from './component';

export const SCALABLE = ['worker', 'consumers', 'api'] as const;
export type ScalableName = (typeof SCALABLE)[number];
export type StackScale = Record<ScalableName, number>;

export const MAX_INSTANCES = 8;
/**
 * Instance i (0-based) of the worker and the consumers listens on its metrics port + 100 i (9464,
 * 9564, ...), so the two series never meet; the API on consecutive ports (8080, 8081, ...), as a
 * load balancer in front of them would list them.
 */
export const METRICS_PORT_STEP = 100;

const DEFAULT_SDK_METRICS_PORT = configSchema.parse({}).TEMPORAL_SDK_METRICS_PORT;

const DEFAULT_SCALE: StackScale = { worker: 1, consumers: 1, api: 1 };

const scaleFile = (ctx: StackContext) => path.join(ctx.paths.run, 'scale.json');

/** `worker=2,consumers=2,api=2`; a process left out keeps the scale it has. */
export function parseScale(spec: string): Partial<StackScale> {
  const scale: Partial<StackScale> = {};
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([a-z]+)=(\d+)$/.exec(part);
    if (!match) throw new Error(`--scale: "${part}" is not <process>=<instances>`);
    const [, name, count] = match as unknown as [string, string, string];
    if (!(SCALABLE as readonly string[]).includes(name))
      throw new Error(`--scale: "${name}" cannot be scaled; these can: ${SCALABLE.join(', ')}`);
    const instances = Number(count);
    if (instances < 1 || instances > MAX_INSTANCES)
      throw new Error(`--scale: ${name}=${count} is outside 1-${MAX_INSTANCES}`);
    scale[name as ScalableName] = instances;
  }
  return scale;
}

export function readScale(ctx: StackContext): StackScale {
  try {
    const saved = JSON.parse(fs.readFileSync(scaleFile(ctx), 'utf8')) as Partial<StackScale>;
    return { ...DEFAULT_SCALE, ...saved };
  } catch {
    return { ...DEFAULT_SCALE };
  }
}

export function writeScale(ctx: StackContext, change: Partial<StackScale>): StackScale {
  const scale = { ...readScale(ctx), ...change };
  fs.mkdirSync(ctx.paths.run, { recursive: true });
  fs.writeFileSync(scaleFile(ctx), `${JSON.stringify(scale)}\n`);
  return scale;
}

/** Back to one instance each (a stopped stack starts as one). */
export function clearScale(ctx: StackContext): void {
  fs.rmSync(scaleFile(ctx), { force: true });
}

/** The ports instance `index` of an app process listens on, as the variables the process reads. */
export function instancePorts(ctx: StackContext, name: ScalableName, index: number): Record<string, string> {
  const p = ctx.ports;
  switch (name) {
    case 'api':
      return { API_PORT: String(p.API_PORT + index) };
    case 'worker':
      return {
        WORKER_METRICS_PORT: String(p.WORKER_METRICS_PORT + METRICS_PORT_STEP * index),
        TEMPORAL_SDK_METRICS_PORT: String(
          Number(ctx.env.TEMPORAL_SDK_METRICS_PORT ?? DEFAULT_SDK_METRICS_PORT) + METRICS_PORT_STEP * index,
        ),
      };
    case 'consumers':
      return { CONSUMERS_METRICS_PORT: String(p.CONSUMERS_METRICS_PORT + METRICS_PORT_STEP * index) };
  }
}

/** The port whose /health answers for instance `index`. */
export function instanceHealthPort(ctx: StackContext, name: ScalableName, index: number): number {
  const ports = instancePorts(ctx, name, index);
  return Number(ports.API_PORT ?? ports.WORKER_METRICS_PORT ?? ports.CONSUMERS_METRICS_PORT);
}
