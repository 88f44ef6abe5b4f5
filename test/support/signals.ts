/**
 * Helpers for the signalling consumers, DLQ and relay tests: what a workflow's history says it was
 * signalled, processed_events rows, a Kafka topic watcher and partitioner, sagas started on a task
 * queue of the test's own, the consumers process run as a child of a test, and the CLI.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Kafka, logLevel, Partitioners, type Consumer, type IHeaders, type KafkaMessage } from 'kafkajs';
import { SagaClient } from '../../api/saga-client';
import { TOPIC_PARTITIONS } from '../../deploy/kafka/topics';
import type { Order, OrdersDb } from '../../domain/orders/db';
import type { OrderSagaInput } from '../../workflows/contract';
import { startNodeProcess, type NodeProcess } from './child-process';
import { stackConfig, uniqueSuffix } from './stack-env';

const repoRoot = path.resolve(__dirname, '..', '..');

export const kafka = () =>
  new Kafka({
    clientId: `test-${uniqueSuffix()}`,
    brokers: stackConfig.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });

export interface SignalRecord {
  name: string;
  arg: unknown;
  identity: string;
}

/** The signals in a workflow's history, in order. */
export async function signalsOf(
  temporal: Client,
  workflowId: string,
  name?: string,
): Promise<SignalRecord[]> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const records: SignalRecord[] = [];
  for (const event of history.events ?? []) {
    const attributes = event.workflowExecutionSignaledEventAttributes;
    if (!attributes) continue;
    const [payload] = attributes.input?.payloads ?? [];
    records.push({
      name: attributes.signalName ?? '',
      arg: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
      identity: attributes.identity ?? '',
    });
  }
  return name === undefined ? records : records.filter((r) => r.name === name);
}

export async function processedRows(db: OrdersDb, consumer: string, eventIds: string[]) {
  return db.processedEvent.findMany({ where: { consumer, eventId: { in: eventIds } } });
}

/**
 * Starts an order's saga on `taskQueue`, as the API does. With a queue no worker polls, the
 * workflow stays running at its first task: signals are still recorded in its history, which is
 * what consumer tests count.
 */
export async function startSagaFor(
  temporal: Client,
  order: Order,
  taskQueue: string,
  items: { productId: string; quantity: number }[],
  extra: Partial<OrderSagaInput> = {},
): Promise<void> {
  await new SagaClient(temporal, taskQueue).start({
    orderId: order.id,
    customerId: order.customerId,
    items,
    totalAmount: order.totalAmount.toFixed(2),
    currency: order.currency,
    paymentMethod: 'tok_visa',
    allowBackorder: order.allowBackorder,
    ...extra,
  });
}

/** A header as text; a null-valued one (Debezium's NULL column) reads as absent. */
const headerText = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name] as IHeaders[string] | null;
  const first = Array.isArray(value) ? value[0] : value;
  return first === null ? undefined : first?.toString();
};

const defaultPartitioner = Partitioners.DefaultPartitioner();

/**
 * The partition Kafka's default (murmur2) partitioner, Debezium's too, picks for a key on a topic
 * of `partitions` partitions (by default the count the stack creates its topics with).
 */
export const partitionOf = (topic: string, key: string, partitions = TOPIC_PARTITIONS): number =>
  defaultPartitioner({
    topic,
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
      offlineReplicas: [],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });

export interface SeenMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  message: KafkaMessage;
}

/** Collects every message on `topics` from the moment it has joined (a group of its own). */
/**
 * Commits, for a group that has not joined yet, each partition's end offset as of now, so the
 * group reads exactly what lands from here on. (A new group without offsets looks up "latest"
 * some time after it joins, and would skip an event that landed before that lookup.)
 */
export async function startGroupAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

export class TopicWatcher {
  readonly seen: SeenMessage[] = [];
  private consumer?: Consumer;

  constructor(private readonly topics: string[]) {}

  async start(): Promise<this> {
    const groupId = `test-watch-${uniqueSuffix()}`;
    await startGroupAtEnd(groupId, this.topics);
    const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
    this.consumer = consumer;
    await consumer.connect();
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topics: this.topics, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.seen.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          // Null-valued headers are left out (see headerText).
          headers: Object.fromEntries(
            Object.keys(message.headers ?? {}).flatMap((name) => {
              const value = headerText(message.headers, name);
              return value === undefined ? [] : [[name, value]];
            }),
          ),
          message,
        });
      },
    });
    await joined;
    return this;
  }

  withHeader(name: string, value: string, topic?: string): SeenMessage[] {
    return this.seen.filter((m) => m.headers[name] === value && (topic === undefined || m.topic === topic));
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export type ConsumersProcess = NodeProcess;

/**
 * Runs the real consumers process (`node --import tsx consumers/main.ts`) and waits until /health
 * answers (every consumer group joined). It joins the same consumer groups as the stack's
 * consumers process.
 */
export function startConsumersProcess(
  label: string,
  env: Record<string, string> = {},
  readyTimeoutMs = 90_000,
): Promise<ConsumersProcess> {
  return startNodeProcess({
    entry: 'consumers/main.ts',
    label,
    metricsPortVariable: 'CONSUMERS_METRICS_PORT',
    env: { LOG_LEVEL: 'info', KAFKA_BROKERS: stackConfig.KAFKA_BROKERS, ...env },
    readyTimeoutMs,
  });
}

/** A counter of the process's /metrics, summed over the label sets that contain `labels`. */
export async function metricValue(
  proc: ConsumersProcess,
  name: string,
  labels: string[] = [],
): Promise<number> {
  const text = await (
    await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) })
  ).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    if (!labels.every((label) => line.includes(label))) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** Runs `bin/trackops <args>` and returns its exit code and output. */
export function runCli(
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'bin', 'trackops'), args, { cwd: repoRoot, env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`trackops ${args.join(' ')} timed out:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
