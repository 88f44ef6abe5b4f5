import type { KafkaMessage } from 'kafkajs';
import type { Backoff, RetryPolicy } from './retry';

export interface IncomingMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export interface ConsumerDefinition {
  /** Also the consumer group id: instances with one name share the partitions. */
  name: string;
  topics: string[];
  /** Applies one message. Must be idempotent: after a crash the same message can come again. */
  handle: (incoming: IncomingMessage) => Promise<void>;
  /**
   * Optional: applies consecutive messages of one partition together, with the outcome of handling
   * them one by one (only for consumers whose work shares round trips, like the cache's). When it
   * fails, the runner handles the same messages one by one instead, so the usual retries apply and
   * only a bad message is dead-lettered.
   */
  handleBatch?: (batch: IncomingMessage[]) => Promise<void>;
  /** The most messages one handleBatch call gets (default 500). */
  maxBatchSize?: number;
  /** The bounded retries of an unclassified failure (default DEFAULT_RETRY_POLICY). */
  retry?: RetryPolicy;
  /** The unbounded retries of a transient failure (default TRANSIENT_BACKOFF). */
  transientBackoff?: Backoff;
  fromBeginning?: boolean;
}

export interface ConsumerMetrics {
  processed: (consumer: string, topic: string) => void;
  retried: (consumer: string, topic: string) => void;
  deadLettered: (consumer: string, topic: string) => void;
  /** Messages behind the partition's high watermark (the group's lag), as of a batch. */
  lag: (consumer: string, topic: string, partition: number, messages: number) => void;
  /** From the change's commit in its source database to it being applied here. */
  cdcLag: (consumer: string, topic: string, seconds: number) => void;
}
