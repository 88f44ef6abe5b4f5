import type { TopicPartitionOffsetAndMetadata } from 'kafkajs';

type Commit = (offsets: TopicPartitionOffsetAndMetadata[]) => Promise<void>;

const keyOf = (topic: string, partition: number) => `${topic}|${partition}`;

/**
 * Commits the offsets of applied messages every `intervalMs`, beside the fetch loop instead of
 * inside it (kafkajs's auto-commit runs after every batch, and the next fetch waits for it). Only
 * what was applied is ever committed, so a crash replays at most one interval of messages, which
 * the consumers' idempotency absorbs. Commits are serialised, and a failed one is retried with the
 * next unless a newer offset of its partition has been applied meanwhile.
 */
export class PeriodicOffsetCommitter {
  /** Per partition, the next offset to read (the last applied + 1), not yet committed. */
  private readonly pending = new Map<string, TopicPartitionOffsetAndMetadata>();
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly commit: Commit,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Messages of the partition up to and including `lastOffset` are applied. */
  applied(topic: string, partition: number, lastOffset: string): void {
    this.pending.set(keyOf(topic, partition), {
      topic,
      partition,
      offset: (BigInt(lastOffset) + 1n).toString(),
    });
  }

  /** After a rebalance: what was applied on partitions now owned by another member is theirs to redo. */
  retain(assignment: Record<string, number[]>): void {
    for (const [key, { topic, partition }] of this.pending) {
      if (!assignment[topic]?.includes(partition)) this.pending.delete(key);
    }
  }

  /** Commits what is pending now; resolves when that commit (and any before it) is done. */
  flush(): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.pending.size === 0) return;
      const offsets = [...this.pending.values()];
      this.pending.clear();
      try {
        await this.commit(offsets);
      } catch (error) {
        for (const offset of offsets) {
          const key = keyOf(offset.topic, offset.partition);
          if (!this.pending.has(key)) this.pending.set(key, offset);
        }
        this.onError(error);
      }
    });
    return this.chain;
  }

  /** Stops the timer and commits what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}
