import path from 'node:path';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import packageJson from '../../package.json';

/** The three processes of TrackOps, named by the folder of their entry point. */
const SERVICE_BY_ENTRY_FOLDER: Readonly<Record<string, string>> = {
  api: 'trackops-api',
  worker: 'trackops-worker',
  consumers: 'trackops-consumers',
};

/** `OTEL_SERVICE_NAME` wins; otherwise the entry point says which process this is. */
export function serviceName(env: NodeJS.ProcessEnv, entry: string | undefined): string {
  if (env.OTEL_SERVICE_NAME) return env.OTEL_SERVICE_NAME;
  const folder = entry ? path.basename(path.dirname(path.resolve(entry))) : '';
  return SERVICE_BY_ENTRY_FOLDER[folder] ?? 'trackops';
}

/** One attribute of OTEL_RESOURCE_ATTRIBUTES (`key=value,key=value`, values percent-encoded). */
function resourceAttribute(env: NodeJS.ProcessEnv, key: string): string | undefined {
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === key) return decodeURIComponent(pair.slice(at + 1).trim());
  }
  return undefined;
}

/**
 * service.name, service.version and deployment.environment. The SDK merges
 * `OTEL_RESOURCE_ATTRIBUTES` over these, so an operator can still override any of them.
 */
export function trackopsResource(env: NodeJS.ProcessEnv, entry: string | undefined): Resource {
  // NODE_ENV says how the code runs (the local stack runs it as production), not where. An
  // environment named in OTEL_RESOURCE_ATTRIBUTES (either spelling) wins, and sets both spellings.
  const environment =
    resourceAttribute(env, 'deployment.environment.name') ??
    resourceAttribute(env, 'deployment.environment') ??
    env.DEPLOYMENT_ENVIRONMENT ??
    'local';
  return resourceFromAttributes({
    [ATTR_SERVICE_NAME]: serviceName(env, entry),
    [ATTR_SERVICE_VERSION]: packageJson.version,
    // Both spellings: `deployment.environment.name` is the current convention, Zipkin and older
    // backends look for `deployment.environment`.
    'deployment.environment': environment,
    'deployment.environment.name': environment,
  });
}
