import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../../lib/logger';
import { sendToDeadLetterTopic } from './dead-letter';
import { PeriodicOffsetCommitter } from './periodic-offset-committer';
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
  /**
   * Optional: applies consecutive messages of one partition together, with the outcome of handling
   * them one by one (only for consumers whose work shares round trips, like the cache's). When it
   * fails, the runner handles the same messages one by one instead, so the usual retries apply and
   * only a bad message is dead-lettered.
   */
  handleBatch?: (batch: IncomingMessage[]) => Promise<void>;
  /** The most messages one handleBatch call gets (default 500). */
  maxBatchSize?: number;
  retry?: RetryPolicy;
  fromBeginning?: boolean;
}

export interface ConsumerMetrics {
  processed: (consumer: string, topic: string) => void;
  retried: (consumer: string, topic: string) => void;
  deadLettered: (consumer: string, topic: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const DEFAULT_MAX_BATCH_SIZE = 500;
/** How often the batch path commits what it applied (a crash replays at most this much). */
const BATCH_COMMIT_INTERVAL_MS = 1000;

/**
 * Runs one consumer group: each message is retried in place with backoff and jitter a bounded
 * number of times, then parked on `<topic>.dlq` so the partition keeps flowing. The offset is
 * committed only after the message was applied or dead-lettered, so a crash replays it (and the
 * handler's idempotency makes that harmless). A definition with handleBatch gets what Kafka fetched
 * for a partition in chunks; a chunk that fails goes through the per-message path. The batch path
 * commits every second beside the fetch loop rather than after every batch (which the next fetch
 * would wait for): it is the latency-bound one.
 */
export class ConsumerRunner {
  private consumer?: Consumer;
  private running = false;
  private stopping = false;
  private committer?: PeriodicOffsetCommitter;
  private readonly batchesInFlight = new Set<Promise<void>>();

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
    // kafkajs restarts a consumer after a retriable crash (a broker restart: "the coordinator is
    // loading"); only one it gives up on is dead, and then liveness fails so the process is replaced.
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      if (!restart) this.running = false;
      this.logger.error({ consumer: name, error: error.message, restart }, 'consumer crashed');
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (!this.stopping) this.running = true;
      this.committer?.retain(event.payload.memberAssignment);
      this.logger.info({ consumer: name, assignment: event.payload.memberAssignment }, 'partitions assigned');
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.definition.fromBeginning ?? true });
    const { handleBatch } = this.definition;
    if (handleBatch) {
      const committer = new PeriodicOffsetCommitter(
        (offsets) => consumer.commitOffsets(offsets),
        BATCH_COMMIT_INTERVAL_MS,
        (error) => this.logger.warn({ consumer: name, err: error }, 'offset commit failed; retrying'),
      );
      this.committer = committer;
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 3,
        // Offsets are resolved chunk by chunk below: a batch cut short (shutdown, rebalance) must
        // not be committed past what was applied.
        eachBatchAutoResolve: false,
        eachBatch: (payload) => {
          const work = (async () => {
            const { batch } = payload;
            const size = this.definition.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
            for (let from = 0; from < batch.messages.length; from += size) {
              if (this.stopping || !payload.isRunning() || payload.isStale()) return;
              const chunk = batch.messages
                .slice(from, from + size)
                .map((message) => ({ topic: batch.topic, partition: batch.partition, message }));
              await this.processChunk(handleBatch, chunk, () => payload.heartbeat());
              const last = (chunk[chunk.length - 1] as IncomingMessage).message.offset;
              payload.resolveOffset(last);
              committer.applied(batch.topic, batch.partition, last);
              await payload.heartbeat();
            }
          })();
          this.batchesInFlight.add(work);
          return work.finally(() => this.batchesInFlight.delete(work));
        },
      });
      committer.start();
    } else {
      await consumer.run({
        autoCommit: true,
        partitionsConsumedConcurrently: 3,
        eachMessage: async (payload) => {
          await this.process(payload, () => payload.heartbeat());
        },
      });
    }
    this.running = true;
  }

  /** Leaves the group cleanly: in-flight messages finish, their offsets are committed. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    // The batch path commits itself: let the batches under way finish, commit, then leave.
    await Promise.allSettled([...this.batchesInFlight]);
    await this.committer?.stop();
    await this.consumer?.disconnect();
  }

  private async processChunk(
    handleBatch: (batch: IncomingMessage[]) => Promise<void>,
    chunk: IncomingMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const { name } = this.definition;
    const started = performance.now();
    const where = {
      consumer: name,
      topic: chunk[0]?.topic,
      partition: chunk[0]?.partition,
      messages: chunk.length,
    };
    try {
      await handleBatch(chunk);
      for (const { topic } of chunk) this.metrics?.processed(name, topic);
      this.logger.debug({ ...where, ms: Math.round(performance.now() - started) }, 'batch applied');
    } catch (caught) {
      this.logger.info({ ...where, err: caught }, 'batch failed; applying its messages one by one');
      for (const incoming of chunk) await this.process(incoming, heartbeat);
    }
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
