import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { json } from './common';
import { actuatorHealthSchema, livenessSchema, readinessSchema } from './operations-responses';

const prometheusText = {
  description: 'Prometheus text exposition.',
  content: { 'text/plain': { schema: { type: 'string' as const } } },
};
const notReady = 'A required dependency is down (same body).';

/** Health, metrics and this document: no token needed. */
export function registerPublicPaths(registry: OpenAPIRegistry): void {
  const open = { tags: ['health'], security: [] };
  for (const path of ['/health', '/health/live']) {
    registry.registerPath({
      ...open,
      method: 'get',
      path,
      operationId: path === '/health' ? 'health' : 'healthLive',
      summary: 'Liveness: the process alone',
      responses: { 200: json('Alive.', livenessSchema) },
    });
  }
  registry.registerPath({
    ...open,
    method: 'get',
    path: '/health/ready',
    operationId: 'healthReady',
    summary: 'Readiness: every dependency with status and latency (Debezium optional: DEGRADED)',
    responses: { 200: json('Ready or degraded.', readinessSchema), 503: json(notReady, readinessSchema) },
  });
  registry.registerPath({
    ...open,
    method: 'get',
    path: '/actuator/health',
    operationId: 'actuatorHealth',
    summary: "Readiness in Spring Boot Actuator's shape",
    responses: {
      200: json('Ready or degraded.', actuatorHealthSchema),
      503: json(notReady, actuatorHealthSchema),
    },
  });
  for (const path of ['/metrics', '/actuator/prometheus']) {
    registry.registerPath({
      ...open,
      method: 'get',
      path,
      operationId: path === '/metrics' ? 'metrics' : 'actuatorPrometheus',
      summary: "This process's Prometheus metrics",
      responses: { 200: prometheusText },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'openApiDocument',
    tags: ['docs'],
    summary: 'This document',
    security: [],
    responses: {
      200: {
        description: 'The OpenAPI 3.1 document.',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/docs',
    operationId: 'docsPage',
    tags: ['docs'],
    summary: 'This document, browsable (Swagger UI)',
    security: [],
    responses: {
      200: { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
      301: { description: 'To `/docs/`, where the page lives.' },
    },
  });
}
