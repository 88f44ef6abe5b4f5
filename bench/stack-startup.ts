/**
 * Warm start of the whole stack and the idle memory of each component, as a printed report.
 * Stops the running stack first, so run it when nobody else uses it:
 *   npx tsx bench/stack-startup.ts [--idle-seconds 60]
 * A cold start (nothing installed) is the first `bin/trackops stack up` on a fresh machine; its
 * time is printed by that command.
 */
import { execFileSync } from 'node:child_process';
import { createStackContext } from '../deploy/stack/context';
import { stackDown, stackStatus, stackUp } from '../deploy/stack/stack';

const idleSeconds = Number(process.argv[process.argv.indexOf('--idle-seconds') + 1] ?? 60) || 60;

/** Resident memory of a process and everything in its process group (Postgres backends, JVM threads). */
function groupRssMiB(pid: number): number {
  const out = execFileSync('ps', ['-o', 'rss=', '-g', String(pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.trim())
    .reduce((sum, kb) => sum + Number(kb) / 1024, 0);
}

async function main() {
  const ctx = createStackContext(process.env, true);
  await stackDown(ctx);
  const started = Date.now();
  await stackUp(ctx);
  const warmStartS = (Date.now() - started) / 1000;
  process.stdout.write(`warm start to all healthy: ${warmStartS.toFixed(1)} s\n`);
  process.stdout.write(`waiting ${idleSeconds} s for the stack to go idle...\n`);
  await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
  const statuses = await stackStatus(ctx);
  process.stdout.write(`\n${'component'.padEnd(11)}${'pid'.padEnd(9)}idle RSS (MiB)\n`);
  let total = 0;
  for (const s of statuses) {
    const rss = s.pid ? groupRssMiB(s.pid) : 0;
    total += rss;
    process.stdout.write(`${s.name.padEnd(11)}${String(s.pid ?? '-').padEnd(9)}${rss.toFixed(0)}\n`);
  }
  process.stdout.write(`${'total'.padEnd(20)}${total.toFixed(0)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
