/**
 * kill -9 and restart of one stack component, through the stack's own component code
 * (deploy/stack/components): its pid file, its start and health check, its configuration.
 */
import type { ComponentName } from '../../deploy/stack/component';
import { STACK_COMPONENTS } from '../../deploy/stack/components';
import { createStackContext } from '../../deploy/stack/context';
import { isAlive, sleep, waitFor } from '../../deploy/stack/processes';

const ctx = createStackContext(process.env, true);

const componentNamed = (name: ComponentName) => {
  const component = STACK_COMPONENTS.find((c) => c.name === name);
  if (!component) throw new Error(`no stack component ${name}`);
  return component;
};

/** SIGKILL to the component's process group (the server and its children), then waits until gone. */
export async function killHard(name: ComponentName): Promise<number> {
  const pid = componentNamed(name).pid(ctx);
  if (pid === undefined) throw new Error(`${name} is not running`);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`${name} (pid ${pid}) survived SIGKILL`);
    await sleep(100);
  }
  return pid;
}

/** Starts the component again as `stack up` would, waits for its health check, reconfigures it. */
export async function restart(name: ComponentName): Promise<void> {
  const component = componentNamed(name);
  await component.start(ctx);
  await waitFor(name, () => component.isHealthy(ctx), component.startTimeoutMs);
  await component.configure(ctx);
}

export const isHealthy = (name: ComponentName) => componentNamed(name).isHealthy(ctx);

/**
 * The components still unhealthy after `patienceMs` (none: how the suite must find and leave the
 * stack). Patient because a health check on a busy two-core machine can miss its 1.5 s deadline.
 */
export async function unhealthyComponents(patienceMs = 60_000): Promise<ComponentName[]> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const states = await Promise.all(
      STACK_COMPONENTS.map(async (c) => ((await c.isHealthy(ctx).catch(() => false)) ? undefined : c.name)),
    );
    const unhealthy = states.filter((name): name is ComponentName => name !== undefined);
    if (unhealthy.length === 0 || Date.now() > deadline) return unhealthy;
    await sleep(1000);
  }
}
