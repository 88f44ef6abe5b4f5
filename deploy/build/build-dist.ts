/**
 * Compiles the three app processes to JavaScript for the production image (Dockerfile's build
 * stage): `tsc -p tsconfig.build.json`, which follows the imports of the entry points, then the
 * files those processes read from disk next to their code. `npm run build [-- <outDir>]`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * Read at run time relative to the compiled module (`__dirname`), so they must sit beside it:
 * the event payload schemas, the tracking page's assets, and the OTel preload's CommonJS entry.
 */
export const RUNTIME_ASSETS: readonly string[] = [
  'events/schemas',
  'api/pages/static',
  'lib/telemetry/preload.cjs',
];

/** The entry points in the compiled tree, by process (run with `node --require <preload> <entry>`). */
export const COMPILED_ENTRIES = {
  api: 'dist/api/main.js',
  worker: 'dist/worker/main.js',
  consumers: 'dist/consumers/main.js',
} as const;

export const COMPILED_PRELOAD = 'dist/lib/telemetry/preload.cjs';

export function buildDist(outDir: string = path.join(repoRoot, 'dist')): string {
  const target = path.resolve(outDir);
  fs.rmSync(target, { recursive: true, force: true });
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(
    process.execPath,
    [tsc, '-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', target],
    {
      cwd: repoRoot,
      stdio: 'inherit',
    },
  );
  for (const asset of RUNTIME_ASSETS) {
    fs.cpSync(path.join(repoRoot, asset), path.join(target, asset), { recursive: true });
  }
  return target;
}

if (require.main === module) {
  const written = buildDist(process.argv[2]);
  console.log(`compiled the app processes into ${path.relative(process.cwd(), written) || '.'}`);
}
