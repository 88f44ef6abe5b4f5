import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { OUTBOX_TOPICS } from '../../deploy/kafka/topics';
import type { Logger } from '../../lib/logger';
import { headerText } from '../../messaging/kafka-headers';
import { OUTBOX_HEADERS } from '../../messaging/outbox/outbox-wire';
import { payloadOrderId, trackingEvent, type TrackingEvent } from './tracking-event';

type Listener = (event: TrackingEvent) => void;

interface Subscription {
  onEvent: Listener;
  /** Called when the feed stops (the process shuts down), so the stream can end and its client move on. */
  onEnd: () => void;
}

/**
 * The live feed of outbox events inside one API process, for its tracking streams. Its consumer has
 * a consumer group of its own (host, pid and a random suffix), so every API instance reads every
 * partition and can serve any order's stream; it starts at the latest offset and never commits,
 * because what happened before a client connected comes from the database (order-backlog.ts).
 * Started on the first subscription, so an app that serves no stream never joins Kafka.
 */
export class OrderEventBus {
  private readonly listeners = new Map<string, Set<Subscription>>();
  private consumer: Consumer | undefined;
  private started: Promise<void> | undefined;

  constructor(
    private readonly brokers: string[],
    private readonly logger: Logger,
  ) {}

  /**
   * Registers the listener at once (so events arriving meanwhile are not lost) and resolves when the
   * consumer fetches from its partitions: from then on every newly published event reaches it.
   */
  async subscribe(orderId: string, listener: Subscription): Promise<() => void> {
    const set = this.listeners.get(orderId) ?? new Set<Subscription>();
    set.add(listener);
    this.listeners.set(orderId, set);
    const unsubscribe = () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(orderId) === set) this.listeners.delete(orderId);
    };
    try {
      await this.start();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    const subscriptions = [...this.listeners.values()].flatMap((set) => [...set]);
    this.listeners.clear();
    for (const subscription of subscriptions) subscription.onEnd();
    this.started = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }

  private start(): Promise<void> {
    this.started ??= this.connect().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  private async connect(): Promise<void> {
    const kafka = new Kafka({
      clientId: 'trackops-api-tracking',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 2 },
    });
    const groupId = `trackops-api-tracking-${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 3000 });
    this.consumer = consumer;
    const fetching = new Promise<void>((resolve) => {
      const removeListener = consumer.on(consumer.events.FETCH_START, () => {
        removeListener();
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...OUTBOX_TOPICS], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const id = headerText(message.headers, OUTBOX_HEADERS.id);
        const type = headerText(message.headers, OUTBOX_HEADERS.eventType);
        if (!id || !type || !message.value) return;
        let payload: unknown;
        try {
          payload = JSON.parse(message.value.toString());
        } catch {
          return;
        }
        const orderId = payloadOrderId(payload);
        const listeners = orderId === undefined ? undefined : this.listeners.get(orderId);
        if (!listeners) return;
        const occurredAt = headerText(message.headers, OUTBOX_HEADERS.occurredAt) ?? new Date().toISOString();
        const event = trackingEvent(id, type, occurredAt, payload);
        for (const listener of listeners) listener.onEvent(event);
      },
    });
    await fetching;
    this.logger.info({ groupId }, 'tracking feed consuming the outbox topics');
  }
}
