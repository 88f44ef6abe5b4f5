import type { Producer } from 'kafkajs';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';
import { applicationEventsConsumer } from './application-events';
import type { ConsumerDefinition } from './runtime/consumer-runner';

/** What a consumer may need; each process builds one of these at start-up. */
export interface ConsumerContext {
  config: AppConfig;
  logger: Logger;
  producer: Producer;
}

/** Every consumer group the consumers process runs. */
export function consumerDefinitions(context: ConsumerContext): ConsumerDefinition[] {
  return [applicationEventsConsumer(context.producer)];
}
