import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { errors, registerSecuritySchemes } from './common';
import { registerInventoryPaths } from './inventory-paths';
import { registerOperationsPaths } from './operations-paths';
import { registerOrderPaths } from './order-paths';
import { registerPublicPaths } from './public-paths';
import { registerTrackingPaths } from './tracking-paths';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export const OPENAPI_PATH = '/api/openapi.json';

const DESCRIPTION = `Real-time order tracking: orders carried by a Temporal saga, inventory, the carrier feed and
the operators' tools. Request schemas are the zod schemas the routes validate with; every error is the
\`Error\` body. Authenticate with a bearer JWT (\`trackops token --role <role>\` mints a local one); each
operation lists the roles it admits. Clients should send an \`Idempotency-Key\` on every \`POST /api/orders\`.`;

/** The OpenAPI 3.1 document of the whole app, generated from the request zod schemas and the answer schemas. */
function generate(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registerSecuritySchemes(registry);
  registerOrderPaths(registry);
  registerTrackingPaths(registry);
  registerInventoryPaths(registry);
  registerOperationsPaths(registry);
  registerPublicPaths(registry);
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'TrackOps API', version: '1.0.0', description: DESCRIPTION },
    servers: [{ url: '/' }],
  });
  addRateLimitAnswers(document);
  return document;
}

/** The rate limiter guards everything under /api after the docs (api/app.ts): each such operation may answer 429. */
function addRateLimitAnswers(document: OpenApiDocument): void {
  const tooMany = errors([429]);
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (!path.startsWith('/api/') || path === OPENAPI_PATH) continue;
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (operation) operation.responses = { ...operation.responses, ...tooMany };
    }
  }
}

let cached: OpenApiDocument | undefined;

/** Built once per process: the schemas do not change at run time. */
export function openApiDocument(): OpenApiDocument {
  cached ??= generate();
  return cached;
}
