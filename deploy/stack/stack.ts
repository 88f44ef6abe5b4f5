import fs from 'node:fs';
import type { Component, ComponentName, ComponentStatus, StackContext } from './component';
import { tailFile, waitFor } from './processes';
import { STACK_COMPONENTS } from './components';
import { clearScale } from './scale';

export class StackError extends Error {
  constructor(
    readonly component: ComponentName,
    override readonly cause: unknown,
    readonly logTail: string,
  ) {
    super(`${component}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

const byName = (name: ComponentName): Component => {
  const component = STACK_COMPONENTS.find((c) => c.name === name);
  if (!component) throw new Error(`unknown component ${name}`);
  return component;
};

/** The named components plus everything they depend on, in declaration (dependency) order. */
export function withDependencies(names?: readonly ComponentName[]): Component[] {
  if (!names || names.length === 0) return [...STACK_COMPONENTS];
  const wanted = new Set<ComponentName>();
  const visit = (name: ComponentName) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    byName(name).dependsOn.forEach(visit);
  };
  names.forEach(visit);
  return STACK_COMPONENTS.filter((c) => wanted.has(c.name));
}

class DependencyFailed extends Error {}

/**
 * Installs what is missing (in parallel), then starts each component as soon as its dependencies
 * are healthy. Healthy components are not restarted, and configuring them again changes nothing
 * unless the configuration did, so a second `up` leaves a healthy stack as it was.
 */
export async function stackUp(ctx: StackContext, names?: readonly ComponentName[]): Promise<void> {
  const components = withDependencies(names);
  await settleAll(
    components.map(async (component) => {
      try {
        await component.install(ctx);
      } catch (error) {
        throw new StackError(component.name, error, tailFile(component.logFile(ctx)));
      }
    }),
  );

  const started = new Map<ComponentName, Promise<void>>();
  const bringUp = (component: Component): Promise<void> => {
    const existing = started.get(component.name);
    if (existing) return existing;
    const run = (async () => {
      const deps = await Promise.allSettled(component.dependsOn.map((d) => bringUp(byName(d))));
      if (deps.some((d) => d.status === 'rejected')) throw new DependencyFailed(component.name);
      try {
        if (await component.isHealthy(ctx)) {
          ctx.progress(component.name, 'already healthy');
        } else {
          if (component.pid(ctx) === undefined || component.instances) {
            ctx.progress(component.name, 'starting');
            await component.start(ctx);
          } else {
            ctx.progress(component.name, 'running but not healthy yet; waiting');
          }
          await waitFor(component.name, () => component.isHealthy(ctx), component.startTimeoutMs);
          ctx.progress(component.name, 'healthy');
        }
        // Configuration is idempotent and cheap when nothing changed, and it is how a pulled
        // migration or a changed connector config reaches a stack that is already running.
        await component.configure(ctx);
        ctx.progress(component.name, 'ready');
      } catch (error) {
        throw new StackError(component.name, error, tailFile(component.logFile(ctx)));
      }
    })();
    started.set(component.name, run);
    return run;
  };
  await settleAll(components.map(bringUp));
}

/** Waits for every task, then rethrows the first real failure (not a knock-on dependency one). */
async function settleAll(tasks: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const root = failures.find((f) => !(f instanceof DependencyFailed)) ?? failures[0];
  if (root !== undefined) throw root instanceof Error ? root : new Error(JSON.stringify(root));
}

/** Stops dependents before what they depend on; independent components stop in parallel. */
export async function stackDown(ctx: StackContext, names?: readonly ComponentName[]): Promise<void> {
  const components = names && names.length > 0 ? names.map(byName) : [...STACK_COMPONENTS];
  const stopped = new Map<ComponentName, Promise<void>>();
  const stop = (component: Component): Promise<void> => {
    const existing = stopped.get(component.name);
    if (existing) return existing;
    const dependents = components.filter((c) => c.dependsOn.includes(component.name));
    const run = Promise.all(dependents.map(stop)).then(async () => {
      if (component.pid(ctx) === undefined) return;
      ctx.progress(component.name, 'stopping');
      await component.stop(ctx);
      ctx.progress(component.name, 'stopped');
    });
    stopped.set(component.name, run);
    return run;
  };
  await Promise.all(components.map(stop));
  // A stopped stack starts again at one instance of each app process.
  if (!names || names.length === 0) clearScale(ctx);
}

export async function stackStatus(ctx: StackContext): Promise<ComponentStatus[]> {
  return Promise.all(
    STACK_COMPONENTS.map(async (component) => {
      const instances = await component.instances?.(ctx);
      return {
        name: component.name,
        port: component.port(ctx),
        pid: component.pid(ctx),
        healthy: await component.isHealthy(ctx).catch(() => false),
        ...(instances && instances.length > 1 ? { instances } : {}),
      };
    }),
  );
}

/** Stops everything and deletes data and logs; installed software is kept. */
export async function stackReset(ctx: StackContext): Promise<string[]> {
  await stackDown(ctx);
  const removed = [...STACK_COMPONENTS.flatMap((c) => c.dataDirs(ctx)), ctx.paths.logs];
  for (const dir of removed) fs.rmSync(dir, { recursive: true, force: true });
  return removed;
}

export function componentLog(ctx: StackContext, name: ComponentName): string {
  return byName(name).logFile(ctx);
}
