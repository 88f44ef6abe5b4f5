import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../../lib/logger';
import { sendToDeadLetterTopic } from './dead-letter';
import { backoffDelay, DEFAULT_RETRY_POLICY, PermanentError, type RetryPolicy } from './retry';

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
  retry?: RetryPolicy;
  fromBeginning?: boolean;
}

export interface ConsumerMetrics {
  processed: (consumer: string, topic: string) => void;
  retried: (consumer: string, topic: string) => void;
  deadLettered: (consumer: string, topic: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one consumer group: each message is retried in place with backoff and jitter a bounded
 * number of times, then parked on `<topic>.dlq` so the partition keeps flowing. The offset is
 * committed only after the message was applied or dead-lettered, so a crash replays it (and the
 * handler's idempotency makes that harmless).
 */
export class ConsumerRunner {
  private consumer?: Consumer;
  private running = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly definition: ConsumerDefinition,
    private readonly logger: Logger,
    private readonly metrics?: ConsumerMetrics,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    const { name, topics } = this.definition;
    const consumer = this.kafka.consumer({ groupId: name, sessionTimeout: 30_000, heartbeatInterval: 3000 });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      this.running = false;
      this.logger.error({ consumer: name, error: event.payload.error.message }, 'consumer crashed');
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.logger.info({ consumer: name, assignment: event.payload.memberAssignment }, 'partitions assigned');
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.definition.fromBeginning ?? true });
    await consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: 3,
      eachMessage: async (payload) => {
        await this.process(payload, () => payload.heartbeat());
      },
    });
    this.running = true;
  }

  /** Leaves the group cleanly: in-flight messages finish, their offsets are committed. */
  async stop(): Promise<void> {
    this.running = false;
    await this.consumer?.disconnect();
  }

  private async process(
    { topic, partition, message }: IncomingMessage,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const incoming = { topic, partition, message };
    const policy = this.definition.retry ?? DEFAULT_RETRY_POLICY;
    const { name } = this.definition;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.definition.handle(incoming);
        this.metrics?.processed(name, incoming.topic);
        return;
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        const permanent = error instanceof PermanentError;
        if (permanent || attempt >= policy.maxAttempts) {
          this.logger.warn(
            {
              consumer: name,
              topic: incoming.topic,
              partition: incoming.partition,
              offset: incoming.message.offset,
              attempts: attempt,
              err: error,
            },
            'message dead-lettered',
          );
          await sendToDeadLetterTopic(this.producer, {
            ...incoming,
            error,
            attempts: attempt,
            consumer: name,
          });
          this.metrics?.deadLettered(name, incoming.topic);
          return;
        }
        this.metrics?.retried(name, incoming.topic);
        await sleep(backoffDelay(policy, attempt));
        await heartbeat();
      }
    }
  }
}
