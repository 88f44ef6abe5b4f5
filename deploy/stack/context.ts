import type { ComponentName, StackContext } from './component';
import { stackPaths } from './paths';
import { stackPorts } from './ports';

/** A stack context that reports progress on stderr with the time since the command began. */
export function createStackContext(env: NodeJS.ProcessEnv = process.env, quiet = false): StackContext {
  const began = Date.now();
  return {
    paths: stackPaths(env),
    ports: stackPorts(env),
    env,
    progress: (component: ComponentName, message: string) => {
      if (quiet) return;
      const seconds = ((Date.now() - began) / 1000).toFixed(1).padStart(6);
      process.stderr.write(`[${seconds}s] ${component.padEnd(9)} ${message}\n`);
    },
  };
}
