import path from 'node:path';
import { emptyResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
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

/**
 * service.name, service.version and deployment.environment. `configured` is what the operator set
 * (OTEL_RESOURCE_ATTRIBUTES, through OTel's env detector); the caller merges it over these, so any
 * of them can still be overridden.
 */
export function trackopsResource(
  env: NodeJS.ProcessEnv,
  entry: string | undefined,
  configured: Resource = emptyResource(),
): Resource {
  // NODE_ENV says how the code runs (the local stack runs it as production), not where. An
  // environment the operator configured (either spelling) wins, and sets both spellings.
  const { 'deployment.environment.name': named, 'deployment.environment': legacy } = configured.attributes;
  const environment =
    [named, legacy].find((value): value is string => typeof value === 'string') ??
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
