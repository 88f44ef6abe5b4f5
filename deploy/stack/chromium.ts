import { installDebianPackages } from './apt';
import { commandExists } from './commands';

/** Where Debian's chromium package puts the browser the browser tests drive (playwright-core). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Installs Debian's chromium when it is missing (`playwright install` cannot download browsers here). */
export async function ensureChromium(progress: (message: string) => void): Promise<void> {
  if (await commandExists('chromium')) return;
  await installDebianPackages(['chromium'], progress);
}
