import type { Producer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { createInventoryDb } from '../../domain/inventory/db';
import { createOrdersDb } from '../../domain/orders/db';
import type { AppConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { OutboxRelay, RELAY_BATCH_SIZE, type RelayDbs } from '../../messaging/outbox/outbox-relay';
import { OUTBOX_CONTEXTS, type OutboxContext } from '../../messaging/outbox/outbox-wire';

export interface RelayLoopOptions {
  intervalMs: number;
  batchSize: number;
  /** Called after each published batch, e.g. to count it in metrics. */
  onPublished?: (context: OutboxContext, count: number) => void;
}

/** Polls both outboxes every `intervalMs`; a full batch is followed by the next one at once. */
export class OutboxRelayLoop {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly relay: OutboxRelay,
    private readonly options: RelayLoopOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.tick().finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    for (const context of OUTBOX_CONTEXTS) {
      try {
        for (let round = 0; round < 50 && !this.stopped; round++) {
          const count = await this.relay.publishPending(context, this.options.batchSize);
          if (count > 0) this.options.onPublished?.(context, count);
          if (count < this.options.batchSize) break;
        }
      } catch (error) {
        this.logger.warn({ err: error, context }, 'outbox relay: publishing failed; retrying next poll');
      }
    }
  }

  /** Stops polling and waits for a batch in flight, so its rows are marked before the producer goes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }
}

/** The relay as the consumers process runs it when OUTBOX_RELAY_ENABLED (consumers/main.ts). */
export function startOutboxRelay(options: {
  config: AppConfig;
  logger: Logger;
  producer: Producer;
  registry?: Registry;
}): { stop: () => Promise<void> } {
  const { config, logger, producer } = options;
  const dbs: RelayDbs = {
    orders: createOrdersDb(config.ORDERS_DATABASE_URL, 2),
    inventory: createInventoryDb(config.INVENTORY_DATABASE_URL, 2),
  };
  const published = new Counter({
    name: 'trackops_outbox_relay_published_total',
    help: 'outbox rows published by the fallback relay',
    labelNames: ['context'] as const,
    registers: options.registry ? [options.registry] : [],
  });
  const loop = new OutboxRelayLoop(
    new OutboxRelay(dbs, producer, logger),
    {
      intervalMs: config.OUTBOX_RELAY_INTERVAL_MS,
      batchSize: RELAY_BATCH_SIZE,
      onPublished: (context, count) => published.inc({ context }, count),
    },
    logger,
  );
  loop.start();
  logger.info({ intervalMs: config.OUTBOX_RELAY_INTERVAL_MS }, 'outbox relay running (fallback path)');
  return {
    stop: async () => {
      await loop.stop();
      await Promise.allSettled([dbs.orders.$disconnect(), dbs.inventory.$disconnect()]);
    },
  };
}
