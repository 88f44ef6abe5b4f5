import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../lib/config';
import { appEnvironment } from '../deploy/stack/components/app-process';
import { createStackContext } from '../deploy/stack/context';
import { BENCH_PARTS, benchOptions, type BenchFlags, type BenchPart } from '../bench/options';

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

const positiveInt = (name: string) => (value: string) => {
  const n = positive(name)(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return n;
};

function parts(value: string): BenchPart[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(BENCH_PARTS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown part ${unknown.join(', ')}; parts: ${BENCH_PARTS.join(', ')}`);
  return names as BenchPart[];
}

/**
 * `trackops bench`: the benchmark of the running stack (bench/run.ts). Addresses come from the
 * app's configuration (lib/config.ts, the stack's ports), so the environment points it elsewhere.
 */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(
      'benchmark the running stack: Temporal ceiling, saga throughput and latency, declines, cached GET, ' +
        'CDC lag, memory; writes bench/results/<timestamp>.json and latest.json and prints a summary',
    )
    .option('--quick', 'a smoke run: tiny counts, two concurrency levels, a few seconds per part')
    .option(
      '--duration <seconds>',
      'seconds per concurrency level, open-loop phase and HTTP target',
      positive('--duration'),
    )
    .option(
      '--max-concurrency <n>',
      'highest closed-loop concurrency (levels double from 4)',
      positiveInt('--max-concurrency'),
    )
    .option('--skip <parts>', `comma-separated parts to leave out: ${BENCH_PARTS.join(', ')}`, parts)
    .option(
      '--rate <perSecond>',
      'open-loop arrival rate (default: half the saga saturation rate)',
      positive('--rate'),
    )
    .option(
      '--poll-ms <ms>',
      'shortest interval between two reads of a pending order (long waits read less often, up to 500 ms)',
      positiveInt('--poll-ms'),
    )
    .option(
      '--settle-timeout <seconds>',
      'an order not settled this long after its POST is a timeout',
      positive('--settle-timeout'),
    )
    .option('--connections <n>', 'autocannon connections for the HTTP part', positiveInt('--connections'))
    .option('--out <dir>', 'directory of the reports', 'bench/results')
    .option('--keep-orders', 'leave the confirmed bench orders open instead of cancelling them at the end')
    .option('--api-url <url>', 'the API (default: 127.0.0.1 and API_PORT)')
    .action(async (flags: BenchFlags) => {
      const config = loadConfig(appEnvironment(createStackContext()));
      const options = benchOptions(flags, `http://127.0.0.1:${config.API_PORT}`);
      // Loaded here, not at the top: the Temporal worker and autocannon are for this command only.
      const { runBench } = await import('../bench/run');
      const result = await runBench(options, (line) => process.stderr.write(`${line}\n`));
      process.stdout.write(`\n${result.summary}\n`);
      // The Temporal core runtime and keep-alive sockets would hold the process open.
      process.exit(result.failed ? 1 : 0);
    });
}
