import path from 'node:path';

/** Repository root: every path the stack owns hangs off it (or off TRACKOPS_HOME). */
export const repoRoot = path.resolve(__dirname, '..', '..');

export interface StackPaths {
  home: string;
  /** Installed software that is not a Debian package: Kafka jars, the Temporal CLI venv. */
  tools: string;
  data: string;
  logs: string;
  run: string;
}

export function stackPaths(env: NodeJS.ProcessEnv = process.env): StackPaths {
  const home = path.resolve(env.TRACKOPS_HOME ?? path.join(repoRoot, '.stack'));
  return {
    home,
    tools: path.join(home, 'tools'),
    data: path.join(home, 'data'),
    logs: path.join(home, 'logs'),
    run: path.join(home, 'run'),
  };
}
