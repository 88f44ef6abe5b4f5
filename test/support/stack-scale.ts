/** `bin/trackops stack up --scale` from a test: N instances of each app process (worker, consumers, API). */
import { runCli } from './signals';

export async function scaleAppProcesses(instances: number): Promise<void> {
  const result = await runCli(
    ['stack', 'up', '--no-demo', '--scale', `worker=${instances},consumers=${instances},api=${instances}`],
    240_000,
  );
  if (result.code !== 0) throw new Error(`stack up --scale answered ${result.code}:\n${result.stderr}`);
}
