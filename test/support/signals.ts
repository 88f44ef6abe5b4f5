/**
 * Helpers for the signalling consumers, DLQ and relay tests: what a workflow's history says it was
 * signalled, processed_events rows, a Kafka topic watcher, sagas started on a task queue of the
 * test's own, and the consumers process run as a child of a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaMessage } from 'kafkajs';
import type { Order, OrdersDb } from '../../domain/orders/db';
import {
  CustomerIdKey,
  OrderIdKey,
  OrderStatusKey,
  orderWorkflowId,
  type OrderSagaInput,
} from '../../workflows/contract';
import { sleep } from './orders-e2e';
import { stackConfig, uniqueSuffix } from './stack-env';
import { freePort } from './worker-process';

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
 * Starts an order's saga on `taskQueue`. With a queue no worker polls, the workflow stays running
 * at its first task: signals are still recorded in its history, which is what consumer tests count.
 */
export async function startSagaFor(
  temporal: Client,
  order: Order,
  taskQueue: string,
  items: { productId: string; quantity: number }[],
  extra: Partial<OrderSagaInput> = {},
): Promise<void> {
  const input: OrderSagaInput = {
    orderId: order.id,
    customerId: order.customerId,
    items,
    totalAmount: order.totalAmount.toFixed(2),
    currency: order.currency,
    paymentMethod: 'tok_visa',
    allowBackorder: order.allowBackorder,
    ...extra,
  };
  await temporal.workflow.start('orderSaga', {
    taskQueue,
    workflowId: orderWorkflowId(order.id),
    args: [input],
    typedSearchAttributes: [
      { key: OrderIdKey, value: order.id },
      { key: CustomerIdKey, value: order.customerId },
      { key: OrderStatusKey, value: 'PENDING' },
    ],
  });
}

/** A header as text; a null-valued one (Debezium's NULL column) reads as absent. */
export const headerText = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name] as IHeaders[string] | null;
  const first = Array.isArray(value) ? value[0] : value;
  return first === null ? undefined : first?.toString();
};

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
export class TopicWatcher {
  readonly seen: SeenMessage[] = [];
  private consumer?: Consumer;

  constructor(private readonly topics: string[]) {}

  async start(): Promise<this> {
    const consumer = kafka().consumer({ groupId: `test-watch-${uniqueSuffix()}`, maxWaitTimeInMs: 200 });
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
    // A new group starts at the end offsets it fetches after joining; give that a moment.
    await sleep(500);
    return this;
  }

  withHeader(name: string, value: string, topic?: string): SeenMessage[] {
    return this.seen.filter((m) => m.headers[name] === value && (topic === undefined || m.topic === topic));
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export interface ConsumersProcess {
  child: ChildProcess;
  pid: number;
  metricsPort: number;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const logTail = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
};

/**
 * Runs the real consumers process (`node --import tsx consumers/main.ts`) with its metrics on a
 * free port, in a process group of its own, and waits until /health answers (every consumer group
 * joined). It joins the same consumer groups as the stack's consumers process.
 */
export async function startConsumersProcess(
  label: string,
  env: Record<string, string> = {},
  readyTimeoutMs = 90_000,
): Promise<ConsumersProcess> {
  const metricsPort = await freePort();
  const logFile = path.join(os.tmpdir(), `trackops-${label}-${process.pid}-${metricsPort}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'consumers', 'main.ts')], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      ORDERS_DATABASE_URL: stackConfig.ORDERS_DATABASE_URL,
      INVENTORY_DATABASE_URL: stackConfig.INVENTORY_DATABASE_URL,
      REDIS_URL: stackConfig.REDIS_URL,
      KAFKA_BROKERS: stackConfig.KAFKA_BROKERS,
      TEMPORAL_ADDRESS: stackConfig.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: stackConfig.TEMPORAL_NAMESPACE,
      CONSUMERS_METRICS_PORT: String(metricsPort),
      ...env,
    },
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error('consumers process did not start');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const proc: ConsumersProcess = { child, pid: child.pid, metricsPort, logFile, exited };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (gone) throw new Error(`consumers process exited before becoming ready:\n${logTail(logFile)}`);
    try {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/health`, {
        signal: AbortSignal.timeout(1000),
      });
      if (response.ok) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      signalGroup(proc, 'SIGKILL');
      throw new Error(`consumers process not ready after ${readyTimeoutMs} ms:\n${logTail(logFile)}`);
    }
    await sleep(250);
  }
}

/** Signals the process group; one that is already gone is fine. */
export function signalGroup(proc: ConsumersProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function readLog(proc: ConsumersProcess): string {
  return fs.readFileSync(proc.logFile, 'utf8');
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
