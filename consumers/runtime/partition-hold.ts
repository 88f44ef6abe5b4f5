import { setTimeout as delay } from 'node:timers/promises';
import type { EachBatchPayload } from 'kafkajs';

/** What retrying a message needs from the partition it came from. */
export interface PartitionHold {
  /** Tells the group coordinator this member is alive (kafkajs sends at most one per interval). */
  heartbeat: () => Promise<void>;
  /** False once the partition should be given up: the runner stops, or a rebalance took it. */
  proceed: () => boolean;
  /** Aborted when the runner stops, so no wait holds up shutdown. */
  stopped: AbortSignal;
  /** Stops fetching the partition for `ms`; the unresolved message is fetched again after it. */
  pauseFor: (ms: number) => void;
}

/** How often a wait heartbeats and checks `proceed` (below the group's heartbeat interval). */
const SLICE_MS = 1000;

/**
 * Waits `ms` before the next attempt at a message while keeping the partition: heartbeats so the
 * group does not evict a member that is only waiting, and gives up early when the partition is no
 * longer ours to hold. Returns false when it gave up (the message then stays uncommitted).
 */
export async function waitHoldingPartition(
  ms: number,
  hold: Pick<PartitionHold, 'heartbeat' | 'proceed' | 'stopped'>,
): Promise<boolean> {
  for (let remaining = ms; remaining > 0; remaining -= SLICE_MS) {
    if (!hold.proceed() || hold.stopped.aborted) return false;
    try {
      await delay(Math.min(remaining, SLICE_MS), undefined, { signal: hold.stopped });
    } catch {
      return false;
    }
    await hold.heartbeat();
  }
  return hold.proceed() && !hold.stopped.aborted;
}

/**
 * The partitions paused until a dependency may be back. kafkajs fetches a broker's partitions
 * together and waits for every fetched batch before fetching again, so a partition waiting inside
 * its handler would hold up the others; paused, it is left out of the fetches until resumed.
 */
export class PausedPartitions {
  private readonly timers = new Set<NodeJS.Timeout>();

  pause(payload: Pick<EachBatchPayload, 'pause'>, ms: number): void {
    const resume = payload.pause();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      resume();
    }, ms);
    this.timers.add(timer);
  }

  /** On shutdown: nothing is resumed any more (the consumer leaves the group). */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** The failures a message has had so far, across the pauses between its attempts. */
export interface FailureCount {
  offset: string;
  attempts: number;
  transient: number;
  bounded: number;
}

/** The failure count of the one message each partition is retrying. */
export class RetryingMessages {
  private readonly counts = new Map<string, FailureCount>();

  of(topic: string, partition: number, offset: string): FailureCount {
    const key = `${topic}|${partition}`;
    const known = this.counts.get(key);
    if (known?.offset === offset) return known;
    const count = { offset, attempts: 0, transient: 0, bounded: 0 };
    this.counts.set(key, count);
    return count;
  }

  settled(topic: string, partition: number): void {
    this.counts.delete(`${topic}|${partition}`);
  }
}
