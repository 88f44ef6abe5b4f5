import path from 'node:path';
import { stackPaths, repoRoot } from './paths';
import { installVenv, venvUpToDate, type PythonVenvTool } from './python-venv';

/** The release deploy/schemathesis/requirements.txt pins (with its dependencies). */
export const SCHEMATHESIS_VERSION = '4.32.5';

const REQUIREMENTS = path.join(repoRoot, 'deploy', 'schemathesis', 'requirements.txt');

/** The venv under the stack's tools and the CLI in it (where it is, installed or not). */
export function schemathesisTool(env: NodeJS.ProcessEnv = process.env): PythonVenvTool & { cli: string } {
  const venv = path.join(stackPaths(env).tools, 'schemathesis-venv');
  const cli = path.join(venv, 'bin', 'schemathesis');
  return { venv, requirements: REQUIREMENTS, executables: [cli], cli };
}

/**
 * Installs schemathesis from PyPI into its venv (about 12 s, once per change of the pins), for
 * test/contract/fuzz.test.ts; returns the CLI. Nothing is installed when the venv is up to date.
 */
export async function ensureSchemathesis(
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const tool = schemathesisTool(env);
  if (venvUpToDate(tool)) return tool.cli;
  progress(`installing schemathesis ${SCHEMATHESIS_VERSION} (PyPI) into ${tool.venv}`);
  await installVenv(tool, env);
  return tool.cli;
}
