import fs from 'node:fs';
import path from 'node:path';
import { installDebianPackages } from './apt';
import { commandExists, mustRun } from './commands';
import { stackPaths } from './paths';

/** The Helm release test/deploy/helm.test.ts renders the chart with (no binary release is reachable here). */
export const HELM_VERSION = 'v4.3.2';

/** Where the built helm lives: under the stack's tools, kept across runs, one folder per version. */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stackPaths(env).tools, 'helm', HELM_VERSION, 'bin', 'helm');
}

/**
 * Builds helm from the Go module proxy once (about four minutes), then reuses it. Without a Go
 * toolchain it installs Debian's, which fetches the newer toolchain helm's go.mod asks for from
 * the same proxy (GOTOOLCHAIN=auto).
 */
export async function ensureHelm(progress: (message: string) => void, env = process.env): Promise<string> {
  const binary = helmBinary(env);
  if (fs.existsSync(binary)) return binary;
  if (!(await commandExists('go'))) await installDebianPackages(['golang-go'], progress);
  const root = path.dirname(path.dirname(binary));
  progress(`building helm ${HELM_VERSION} from the Go module proxy into ${root} (a few minutes, once)`);
  await mustRun('go', ['install', `helm.sh/helm/v4/cmd/helm@${HELM_VERSION}`], {
    env: {
      ...env,
      GOBIN: path.dirname(binary),
      GOPATH: path.join(root, 'gopath'),
      GOFLAGS: '-modcacherw',
      GOTOOLCHAIN: 'auto',
      CGO_ENABLED: '0',
    },
  });
  return binary;
}
