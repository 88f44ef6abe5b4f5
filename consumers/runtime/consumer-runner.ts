import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { ConsumerDefinition, ConsumerMetrics, IncomingMessage } from './consumer-definition';
import type { Logger } from '../../lib/logger';
import { sourceCommitMs } from './cdc-lag';
import { sendToDeadLetterTopic } from './dead-letter';
import { failureKind } from './failure-kind';
import { inBatchSpan, inMessageSpan } from './message-span';
import { PeriodicOffsetCommitter } from './periodic-offset-committer';
import { backoffDelay, DEFAULT_RETRY_POLICY, TRANSIENT_BACKOFF } from './retry';
import {
  PausedPartitions,
  RetryingMessages,
  waitHoldingPartition,
  type PartitionHold,
} from './partition-hold';

export type { ConsumerDefinition, ConsumerMetrics, IncomingMessage } from './consumer-definition';

/**
 * A message is settled (applied or dead-lettered), or left unresolved: its partition is paused
 * until the next attempt, or the partition is being given up (shutdown, rebalance).
 */
type Outcome = 'settled' | 'unresolved';

const DEFAULT_MAX_BATCH_SIZE = 500;
/** How often the batch path commits what it applied (a crash replays at most this much). */
const BATCH_COMMIT_INTERVAL_MS = 1000;

/**
 * Runs one consumer group. A failing message is retried by what its error is (failure-kind.ts): a
 * permanent one goes to `<topic>.dlq` at once; a transient one (a dependency down) is retried with
 * capped backoff and no deadline, each attempt logged, its partition paused between attempts so the
 * others flow on; anything else is retried in place a bounded number of times, then parked on the
 * DLQ so a bug does not block the partition. The offset is resolved only after the message was
 * applied or dead-lettered, so a crash, a shutdown or a rebalance during the retries leaves it to
 * be fetched again (and the handler's idempotency makes a repeat harmless).
 *
 * A definition with handleBatch gets what Kafka fetched for a partition in chunks; a chunk that
 * fails goes through the per-message path. The batch path commits every second beside the fetch
 * loop rather than after every batch (which the next fetch would wait for): it is the
 * latency-bound one.
 */
export class ConsumerRunner {
  private consumer?: Consumer;
  private running = false;
  private stopping = false;
  private committer?: PeriodicOffsetCommitter;
  private readonly stopped = new AbortController();
  private readonly paused = new PausedPartitions();
  private readonly retrying = new RetryingMessages();
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
    // loading"). One it gives up on (seen after broker restarts too) is replaced here by a new
    // consumer of the same group; liveness fails until that one has joined.
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.logger.error({ consumer: name, error: error.message, restart }, 'consumer crashed');
      if (restart || this.stopping) return;
      this.running = false;
      void this.replaceCrashed(consumer);
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
            this.metrics?.lag(name, batch.topic, batch.partition, Number(batch.offsetLagLow()));
            const hold = this.holdOf(payload);
            const size = this.definition.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
            for (let from = 0; from < batch.messages.length; from += size) {
              if (!hold.proceed()) return;
              const chunk = batch.messages
                .slice(from, from + size)
                .map((message) => ({ topic: batch.topic, partition: batch.partition, message }));
              const { settledThrough, outcome } = await this.processChunk(handleBatch, chunk, hold);
              if (settledThrough !== undefined) {
                payload.resolveOffset(settledThrough);
                committer.applied(batch.topic, batch.partition, settledThrough);
              }
              if (outcome === 'unresolved') return;
              await payload.heartbeat();
            }
            this.metrics?.lag(name, batch.topic, batch.partition, Number(batch.offsetLag()));
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
        // One by one, resolving each message once settled: one waiting for its next attempt is
        // neither resolved nor committed (eachMessage would resolve it on return).
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          this.metrics?.lag(name, batch.topic, batch.partition, Number(batch.offsetLagLow()));
          const hold = this.holdOf(payload);
          for (const message of batch.messages) {
            if (!hold.proceed()) return;
            const incoming = { topic: batch.topic, partition: batch.partition, message };
            if ((await this.process(incoming, hold)) === 'unresolved') return;
            payload.resolveOffset(message.offset);
            await payload.heartbeat();
          }
          this.metrics?.lag(name, batch.topic, batch.partition, Number(batch.offsetLag()));
        },
      });
    }
    this.running = true;
  }

  private async replaceCrashed(crashed: Consumer, attempt = 1): Promise<void> {
    await delay(Math.min(1000 * 2 ** attempt, 30_000), undefined, { signal: this.stopped.signal }).catch(
      () => undefined,
    );
    if (this.stopping || this.consumer !== crashed) return;
    await Promise.allSettled([...this.batchesInFlight]);
    await this.committer?.stop().catch(() => undefined);
    await crashed.disconnect().catch(() => undefined);
    this.paused.clear();
    try {
      await this.start();
    } catch (error) {
      this.logger.error({ consumer: this.definition.name, err: error, attempt }, 'consumer restart failed');
      if (this.consumer) await this.replaceCrashed(this.consumer, attempt + 1);
    }
  }

  /** Leaves the group cleanly: in-flight messages finish, their offsets are committed. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    // Ends any retry wait at once and resumes no paused partition: a message waiting for its next
    // attempt stays uncommitted, for the group's next owner of its partition.
    this.stopped.abort();
    this.paused.clear();
    // The batch path commits itself: let the batches under way finish, commit, then leave.
    await Promise.allSettled([...this.batchesInFlight]);
    await this.committer?.stop();
    await this.consumer?.disconnect();
  }

  private holdOf(payload: EachBatchPayload): PartitionHold {
    return {
      heartbeat: () => payload.heartbeat(),
      proceed: () => !this.stopping && payload.isRunning() && !payload.isStale(),
      stopped: this.stopped.signal,
      pauseFor: (ms) => this.paused.pause(payload, ms),
    };
  }

  /** Applies a chunk: as one batch, or when that fails one by one; says how far it got. */
  private async processChunk(
    handleBatch: (batch: IncomingMessage[]) => Promise<void>,
    chunk: IncomingMessage[],
    hold: PartitionHold,
  ): Promise<{ settledThrough?: string; outcome: Outcome }> {
    const { name } = this.definition;
    const started = performance.now();
    const where = {
      consumer: name,
      topic: chunk[0]?.topic,
      partition: chunk[0]?.partition,
      messages: chunk.length,
    };
    try {
      await inBatchSpan(name, chunk, () => handleBatch(chunk));
      for (const incoming of chunk) this.applied(incoming);
      this.logger.debug({ ...where, ms: Math.round(performance.now() - started) }, 'batch applied');
      return { settledThrough: chunk[chunk.length - 1]?.message.offset, outcome: 'settled' };
    } catch (caught) {
      this.logger.info({ ...where, err: caught }, 'batch failed; applying its messages one by one');
      let settledThrough: string | undefined;
      for (const incoming of chunk) {
        if ((await this.process(incoming, hold)) === 'unresolved')
          return { settledThrough, outcome: 'unresolved' };
        settledThrough = incoming.message.offset;
      }
      return { settledThrough, outcome: 'settled' };
    }
  }

  /** Applies one message, retrying it as its failures say (see the class comment). */
  private async process(incoming: IncomingMessage, hold: PartitionHold): Promise<Outcome> {
    const { name } = this.definition;
    const policy = this.definition.retry ?? DEFAULT_RETRY_POLICY;
    const { topic, partition, message } = incoming;
    // Counted apart: an outage between two unclassified failures must not use up their budget.
    const failures = this.retrying.of(topic, partition, message.offset);
    for (;;) {
      failures.attempts += 1;
      try {
        await inMessageSpan(name, incoming, () => this.definition.handle(incoming));
        this.retrying.settled(topic, partition);
        this.applied(incoming);
        return 'settled';
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        const kind = failureKind(error);
        if (kind === 'unknown') failures.bounded += 1;
        if (kind === 'permanent' || failures.bounded >= policy.maxAttempts) {
          this.retrying.settled(topic, partition);
          await this.deadLetter(incoming, error, failures.attempts);
          return 'settled';
        }
        this.metrics?.retried(name, topic);
        if (kind === 'transient') {
          failures.transient += 1;
          const waitMs = backoffDelay(
            this.definition.transientBackoff ?? TRANSIENT_BACKOFF,
            failures.transient,
          );
          this.logger.warn(
            { ...this.whereOf(incoming), attempt: failures.attempts, retryInMs: waitMs, err: error },
            'dependency unavailable: partition paused, the message is retried',
          );
          hold.pauseFor(waitMs);
          return 'unresolved';
        }
        if (!(await waitHoldingPartition(backoffDelay(policy, failures.bounded), hold))) return 'unresolved';
      }
    }
  }

  private applied({ topic, message }: IncomingMessage): void {
    if (!this.metrics) return;
    this.metrics.processed(this.definition.name, topic);
    const committedMs = sourceCommitMs(message);
    if (committedMs !== undefined)
      this.metrics.cdcLag(this.definition.name, topic, Math.max(0, Date.now() - committedMs) / 1000);
  }

  private whereOf({ topic, partition, message }: IncomingMessage) {
    return { consumer: this.definition.name, topic, partition, offset: message.offset };
  }

  private async deadLetter(incoming: IncomingMessage, error: Error, attempts: number): Promise<void> {
    this.logger.warn({ ...this.whereOf(incoming), attempts, err: error }, 'message dead-lettered');
    await sendToDeadLetterTopic(this.producer, {
      ...incoming,
      error,
      attempts,
      consumer: this.definition.name,
    });
    this.metrics?.deadLettered(this.definition.name, incoming.topic);
  }
}
