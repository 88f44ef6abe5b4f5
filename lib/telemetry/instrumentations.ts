import type { IncomingMessage } from 'node:http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { restoreCarriedTraceparent } from './verbatim-messages';

/** Probes and scrapes, every few seconds from every watcher: traces of them would bury the orders. */
const UNTRACED_PATHS = /^\/(health|metrics|actuator)(\/|\?|$)/;

function isProbe(request: IncomingMessage): boolean {
  return UNTRACED_PATHS.test(request.url ?? '');
}

/**
 * The libraries whose calls become spans. Database and Redis calls are traced only inside a
 * traced operation: a pool's keep-alive or a poll loop on its own would be a trace per second.
 */
export function trackopsInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({ ignoreIncomingRequestHook: isProbe, requireParentforOutgoingSpans: true }),
    // Middleware (body parser, request context) and router layers are a span each per request and
    // say nothing the handler's span does not; the handler stays.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    new KafkaJsInstrumentation({ producerHook: restoreCarriedTraceparent }),
  ];
}
