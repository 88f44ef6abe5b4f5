import type { Producer } from 'kafkajs';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';
import { applicationEventsConsumer } from './application-events';
import { cacheConsumer } from './cache-consumer';
import { deliveryMarkerFromContext } from './relay/delivery-marker';
import { restockSignalsConsumer } from './restock-signals';
import type { ConsumerDefinition } from './runtime/consumer-runner';
import { signalDeps, workflowSignalsConsumer } from './workflow-signals';

/** What a consumer may need; each process builds one of these at start-up. */
export interface ConsumerContext {
  config: AppConfig;
  logger: Logger;
  producer: Producer;
}

/** Every consumer group the consumers process runs. */
export function consumerDefinitions(context: ConsumerContext): ConsumerDefinition[] {
  // One orders database pool and Temporal client for both signalling consumers.
  const signals = signalDeps(context);
  return [
    applicationEventsConsumer(context.producer),
    cacheConsumer(context),
    workflowSignalsConsumer(signals),
    restockSignalsConsumer(signals),
    deliveryMarkerFromContext(context),
  ];
}

/** The definitions named in CONSUMER_GROUPS (comma separated), or all when it is empty. */
export function selectConsumers(definitions: ConsumerDefinition[], groups: string): ConsumerDefinition[] {
  const wanted = groups
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (wanted.length === 0) return definitions;
  const unknown = wanted.filter((name) => !definitions.some((d) => d.name === name));
  if (unknown.length > 0)
    throw new Error(`CONSUMER_GROUPS names unknown consumer groups: ${unknown.join(', ')}`);
  return definitions.filter((d) => wanted.includes(d.name));
}
