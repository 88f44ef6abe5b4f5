import type { Client } from '@temporalio/client';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { InventoryDb } from '../../../domain/inventory/db';
import type { OrdersDb } from '../../../domain/orders/db';

/** The servers the checker reads directly: never through the API under test. */
export interface InvariantClients {
  ordersDb: OrdersDb;
  inventoryDb: InventoryDb;
  temporal: Client;
  redis: Redis;
  kafka: Kafka;
}

/** What a run created and injected, so the checker knows what to expect. */
export interface RunScope {
  /** Customer-id prefix of every order the run placed. */
  customerPrefix: string;
  /**
   * Units each of the run's products ever had: its starting stock plus every restock. Stock is
   * conserved when this equals available + reserved + sold.
   */
  unitsIssued: Map<string, number>;
  /** The high watermark of each DLQ topic partition when the run began (`dlqWatermarks`). */
  dlqStart: Map<string, Map<number, bigint>>;
  /** Keys of the poison messages the run put on a topic: the only messages allowed in a DLQ. */
  poisonKeys: Set<string>;
}

/** One broken invariant: which, and the evidence. */
export interface Violation {
  invariant: string;
  detail: string;
}

export const violation = (invariant: string, detail: unknown): Violation => ({
  invariant,
  detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
});
