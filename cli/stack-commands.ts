import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { ComponentName } from '../deploy/stack/component';
import { createStackContext } from '../deploy/stack/context';
import { STACK_COMPONENTS } from '../deploy/stack/components';
import { parseScale, SCALABLE, writeScale } from '../deploy/stack/scale';
import { componentLog, StackError, stackDown, stackReset, stackStatus, stackUp } from '../deploy/stack/stack';
import { printAccessPoints } from './access-points';
import { placeDemoOrder } from './demo-order';

const componentNames = STACK_COMPONENTS.map((c) => c.name);

function parseComponents(names: string[]): ComponentName[] {
  for (const name of names) {
    if (!componentNames.includes(name as ComponentName)) {
      throw new Error(`unknown component "${name}"; known: ${componentNames.join(', ')}`);
    }
  }
  return names as ComponentName[];
}

/** Prints which component failed and the end of its log, then exits non-zero. */
export function reportStackFailure(error: unknown): never {
  if (error instanceof StackError) {
    process.stderr.write(`\nstack up failed at ${error.component}: ${error.message}\n`);
    process.stderr.write(`--- last lines of the ${error.component} log ---\n${error.logTail}\n`);
  } else {
    process.stderr.write(`\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('the local stack: Postgres, Redis, Kafka, Connect, Temporal, app');

  stack
    .command('up [components...]')
    .description('install what is missing, start everything (or the named components and their dependencies)')
    .option('--no-demo', 'do not place the demo order after a full start')
    .option(
      '--scale <spec>',
      'instances of the app processes, e.g. worker=2,consumers=2,api=2 (kept until the stack is stopped)',
    )
    .action(async (names: string[], options: { demo: boolean; scale?: string }) => {
      const ctx = createStackContext();
      const started = Date.now();
      try {
        if (options.scale !== undefined) {
          const scale = writeScale(ctx, parseScale(options.scale));
          process.stderr.write(`scale: ${SCALABLE.map((name) => `${name}=${scale[name]}`).join(' ')}\n`);
        }
        await stackUp(ctx, parseComponents(names));
      } catch (error) {
        reportStackFailure(error);
      }
      process.stderr.write(`stack healthy in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
      if (names.length > 0) return;
      printAccessPoints(ctx);
      if (options.demo) await placeDemoOrder(ctx);
    });

  stack
    .command('down [components...]')
    .description('stop everything (or the named components)')
    .action(async (names: string[]) => {
      await stackDown(createStackContext(), parseComponents(names));
    });

  stack
    .command('restart <components...>')
    .description('stop and start the named components, e.g. after changing the app code')
    .action(async (names: string[]) => {
      const ctx = createStackContext();
      const components = parseComponents(names);
      try {
        await stackDown(ctx, components);
        await stackUp(ctx, components);
      } catch (error) {
        reportStackFailure(error);
      }
    });

  stack
    .command('status')
    .description('each component with its port, pid and health')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const statuses = await stackStatus(createStackContext());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
      } else {
        process.stdout.write(`${'COMPONENT'.padEnd(13)}${'PORT'.padEnd(7)}${'PID'.padEnd(9)}HEALTH\n`);
        const line = (name: string, port: number, pid: number | undefined, healthy: boolean) => {
          const health = healthy ? 'healthy' : pid ? 'unhealthy' : 'stopped';
          process.stdout.write(
            `${name.padEnd(13)}${String(port).padEnd(7)}${String(pid ?? '-').padEnd(9)}${health}\n`,
          );
        };
        for (const s of statuses) {
          if (!s.instances) line(s.name, s.port, s.pid, s.healthy);
          for (const instance of s.instances ?? [])
            line(instance.name, instance.port, instance.pid, instance.healthy);
        }
      }
      if (statuses.some((s) => !s.healthy)) process.exitCode = 1;
    });

  stack
    .command('logs <component>')
    .description("print the end of a component's log")
    .option('-n, --lines <n>', 'how many lines', '100')
    .option('-f, --follow', 'keep printing as the log grows')
    .action((name: string, options: { lines: string; follow?: boolean }) => {
      const [component] = parseComponents([name]);
      const file = componentLog(createStackContext(), component as ComponentName);
      const args = ['-n', options.lines, ...(options.follow ? ['-F'] : []), file];
      spawn('tail', args, { stdio: 'inherit' }).on('exit', (code) => (process.exitCode = code ?? 0));
    });

  stack
    .command('reset')
    .description('stop everything and delete all local data and logs (installed software is kept)')
    .option('--yes', 'confirm that local data may be deleted')
    .action(async (options: { yes?: boolean }) => {
      if (!options.yes) {
        process.stderr.write(
          'stack reset deletes every database, topic and workflow history. Re-run with --yes.\n',
        );
        process.exitCode = 2;
        return;
      }
      const removed = await stackReset(createStackContext());
      process.stderr.write(`removed:\n${removed.map((d) => `  ${d}`).join('\n')}\n`);
    });
}
