import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ensureChromium } from '../deploy/stack/chromium';
import { ensureHelm } from '../deploy/stack/helm';
import { ensureSchemathesis } from '../deploy/stack/schemathesis';
import { createStackContext } from '../deploy/stack/context';
import { checkMigrationDrift } from '../deploy/stack/migrations';
import { repoRoot } from '../deploy/stack/paths';
import { stackUp } from '../deploy/stack/stack';
import { appEnvironment } from '../deploy/stack/components/app-process';
import { findImportCycles } from './import-cycles';
import { reportStackFailure } from './stack-commands';

function run(
  label: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  process.stderr.write(`\n=== ${label}: ${command} ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const bin = (name: string) => path.join(repoRoot, 'node_modules', '.bin', name);

interface JestSummary {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
}

/**
 * The whole suite, as CI runs it: brings the real stack up (installing what is missing), then
 * format, lint, types, import cycles, migration drift, and every jest test against the running
 * servers.
 */
export function registerTestCommand(program: Command): void {
  program
    .command('test [jestArgs...]')
    .description(
      'bring the stack up, then run format, lint, type, import-cycle and drift checks and the whole test suite',
    )
    .option('--no-stack', 'do not start the stack (it must already be running)')
    .action(async (jestArgs: string[], options: { stack: boolean }) => {
      const started = Date.now();
      const ctx = createStackContext();
      if (options.stack) {
        try {
          await stackUp(ctx);
        } catch (error) {
          reportStackFailure(error);
        }
      }
      const env = { ...appEnvironment(ctx), NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
      const failures: string[] = [];
      const check = async (label: string, command: string, args: string[], extraEnv = {}) => {
        if ((await run(label, command, args, { ...env, ...extraEnv })) !== 0) failures.push(label);
      };
      await check('format', bin('prettier'), ['--check', '.']);
      await check('lint', bin('eslint'), ['.']);
      await check('types', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
      process.stderr.write('\n=== import cycles: modules and top-level folders (dependency-cruiser)\n');
      try {
        const cycles = await findImportCycles();
        process.stderr.write(cycles.length === 0 ? 'no import cycles\n' : `${cycles.join('\n')}\n`);
        if (cycles.length > 0) failures.push('import cycles');
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        failures.push('import cycles');
      }
      process.stderr.write('\n=== migrations: schema.prisma vs prisma/*/migrations\n');
      try {
        await checkMigrationDrift(env);
        process.stderr.write('no drift\n');
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        failures.push('migration drift');
      }

      // The browser tests (test/browser/) drive Debian's chromium.
      try {
        await ensureChromium((message) => process.stderr.write(`${message}\n`));
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        failures.push('chromium install');
      }
      // test/deploy/helm.test.ts renders the chart with a helm built once from the Go module proxy.
      try {
        await ensureHelm((message) => process.stderr.write(`${message}\n`));
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        failures.push('helm install');
      }
      // test/contract/fuzz.test.ts runs schemathesis (PyPI, pinned) from a venv under the stack's tools.
      try {
        await ensureSchemathesis((message) => process.stderr.write(`${message}\n`), env);
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        failures.push('schemathesis install');
      }
      const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'trackops-jest-'));
      const runJest = async (label: string, config: string, extraEnv: NodeJS.ProcessEnv = {}) => {
        const report = path.join(reports, `${label}.json`);
        await check(
          label,
          bin('jest'),
          ['--config', config, '--json', `--outputFile=${report}`, ...jestArgs],
          extraEnv,
        );
        try {
          return JSON.parse(fs.readFileSync(report, 'utf8')) as JestSummary;
        } catch {
          failures.push(`${label} report`);
          return undefined;
        }
      };
      const parallel = await runJest('jest', 'jest.config.js');
      // Suites that stop shared servers (Kafka Connect) run alone, after everything else.
      const serial =
        jestArgs.length === 0 ? await runJest('jest serial', 'jest.serial.config.js') : undefined;
      // Last, the kill -9 fault suite, with two instances of each app process (stack up --scale).
      const faults =
        jestArgs.length === 0
          ? await runJest('jest faults', 'jest.faults.config.js', { FAULT_SUITE_SCALE: '2' })
          : undefined;
      const phases = [parallel, serial, faults];
      const total = (key: keyof JestSummary) => phases.reduce((sum, phase) => sum + (phase?.[key] ?? 0), 0);
      const summary: JestSummary | undefined = parallel && {
        numPassedTests: total('numPassedTests'),
        numFailedTests: total('numFailedTests'),
        numPendingTests: total('numPendingTests'),
        numTotalTests: total('numTotalTests'),
      };

      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      process.stdout.write(
        `\nchecks failed: ${failures.length === 0 ? 'none' : failures.join(', ')} (${seconds}s)\n`,
      );
      if (summary) {
        if (summary.numTotalTests === 0) failures.push('no tests ran');
        process.stdout.write(
          `${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${summary.numPendingTests} skipped\n`,
        );
      }
      process.exitCode = failures.length === 0 ? 0 : 1;
    });
}
