import { mustRun } from './commands';

let aptUpdated = false;
// dpkg takes a global lock: components installing in parallel must queue for it.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Installs Debian packages. Callers first check whether what they need is there, so a warm
 * `stack up` never touches apt; `apt-get update` runs at most once per process.
 */
export function installDebianPackages(packages: string[], progress: (message: string) => void) {
  const run = queue.then(async () => {
    if (!aptUpdated) {
      progress('apt-get update');
      await mustRun('apt-get', ['update', '-qq']);
      aptUpdated = true;
    }
    progress(`apt-get install ${packages.join(' ')}`);
    await mustRun('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  });
  queue = run.catch(() => undefined);
  return run;
}
