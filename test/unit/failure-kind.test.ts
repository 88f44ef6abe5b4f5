/**
 * How the consumers classify a handler's failure (consumers/runtime/failure-kind.ts), with the
 * errors the libraries really throw: each client is pointed at a local port where nothing listens
 * (refused at once) or where a server accepts and never answers (timeouts), so no stack is needed.
 * Also what the runner retries with (consumers/runtime/retry.ts, partition-hold.ts): the backoff of
 * a transient failure, the wait that holds a partition, the pause that resumes it, and a message's
 * failure count across its pauses.
 */
import net from 'node:net';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import Redis, { ReplyError } from 'ioredis';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, Kafka, logLevel } from 'kafkajs';
import { Client as PgClient, DatabaseError } from 'pg';
import { withTimeout } from '../../cache/redis-call';
import { failureKind } from '../../consumers/runtime/failure-kind';
import { outboxPayload } from '../../consumers/runtime/outbox-event';
import { backoffDelay, PermanentError, TRANSIENT_BACKOFF } from '../../consumers/runtime/retry';
import {
  PausedPartitions,
  RetryingMessages,
  waitHoldingPartition,
} from '../../consumers/runtime/partition-hold';
import { OrderNotConfirmedYetError } from '../../consumers/workflow-signals';
import { EventType } from '../../domain/events';
import { createOrdersDb, OrdersPrisma } from '../../domain/orders/db';

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A local port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A local server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net
    .createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    })
    .listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** A Temporal client without the SDK's gRPC retries (about 20 s on UNAVAILABLE), so it fails at once. */
const temporalAt = (address: string) =>
  new Client({ connection: Connection.lazy({ address, interceptors: [] }), namespace: 'default' });

let port: number;
beforeAll(async () => {
  port = await closedPort();
});

describe('transient: the dependency is down or slow', () => {
  it('Prisma over adapter-pg: model query, transaction and raw query against an unreachable server', async () => {
    const db = createOrdersDb(`postgresql://nobody:none@127.0.0.1:${port}/none`, 1);
    try {
      const query = await rejection(db.order.findFirst());
      expect(query).toMatchObject({ code: 'P1001' });
      const transaction = await rejection(db.$transaction(async (tx) => tx.$executeRaw`SELECT 1`));
      // A raw query reports P2010 ("raw query failed"): the adapter's kind says why.
      const raw = await rejection(db.$executeRaw`SELECT 1`);
      expect(raw).toMatchObject({
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } },
      });
      for (const error of [query, transaction, raw]) expect(failureKind(error)).toBe('transient');
    } finally {
      await db.$disconnect();
    }
  });

  it('Prisma pool and transaction timeouts', () => {
    const poolTimeout = new OrdersPrisma.PrismaClientKnownRequestError(
      'Timed out fetching a new connection',
      {
        code: 'P2024',
        clientVersion: OrdersPrisma.prismaVersion.client,
      },
    );
    const transactionTimeout = new OrdersPrisma.PrismaClientKnownRequestError(
      'Transaction API error: Unable to start a transaction in the given time.',
      { code: 'P2028', clientVersion: OrdersPrisma.prismaVersion.client },
    );
    expect(failureKind(poolTimeout)).toBe('transient');
    expect(failureKind(transactionTimeout)).toBe('transient');
  });

  it('node-postgres: refused connection, and the server shutting down', async () => {
    const client = new PgClient({ connectionString: `postgresql://nobody:none@127.0.0.1:${port}/none` });
    const refused = await rejection(client.connect());
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(failureKind(refused)).toBe('transient');
    const shutdown = new DatabaseError('terminating connection due to administrator command', 0, 'error');
    shutdown.code = '57P01';
    expect(failureKind(shutdown)).toBe('transient');
  });

  it('ioredis: a command given up while reconnecting, a closed connection, LOADING; the cache timeout', async () => {
    const retrying = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0 });
    retrying.on('error', () => undefined);
    const closed = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: () => null });
    closed.on('error', () => undefined);
    try {
      const gaveUp = await rejection(retrying.get('k'));
      expect(gaveUp).toMatchObject({ name: 'MaxRetriesPerRequestError' });
      const gone = await rejection(closed.get('k'));
      expect(gone).toMatchObject({ message: 'Connection is closed.' });
      expect(failureKind(gaveUp)).toBe('transient');
      expect(failureKind(gone)).toBe('transient');
    } finally {
      retrying.disconnect();
      closed.disconnect();
    }
    const loading = new (ReplyError as new (message: string) => Error)(
      'LOADING Redis is loading the dataset in memory',
    );
    expect(failureKind(loading)).toBe('transient');
    const slow = await rejection(withTimeout(new Promise(() => undefined), 5));
    expect(failureKind(slow)).toBe('transient');
  });

  it('Temporal client: server unreachable (raw call and handle), deadline exceeded', async () => {
    const temporal = temporalAt(`127.0.0.1:${port}`);
    const silent = await silentServer();
    const stalled = temporalAt(`127.0.0.1:${silent.port}`);
    try {
      const raw = await rejection(
        temporal.workflowService.signalWorkflowExecution({
          namespace: 'default',
          workflowExecution: { workflowId: 'nobody' },
          signalName: 'advanceStatus',
        }),
      );
      expect(raw).toMatchObject({ code: 14 });
      const viaHandle = await rejection(temporal.workflow.getHandle('nobody').signal('advanceStatus'));
      expect(viaHandle).toMatchObject({ name: 'ServiceError', cause: { code: 14 } });
      const deadline = await rejection(
        stalled.connection.withDeadline(Date.now() + 300, () =>
          stalled.workflowService.describeNamespace({ namespace: 'default' }),
        ),
      );
      expect(deadline).toMatchObject({ code: 4 });
      for (const error of [raw, viaHandle, deadline]) expect(failureKind(error)).toBe('transient');
    } finally {
      silent.close();
      await Promise.allSettled([temporal.connection.close(), stalled.connection.close()]);
    }
  });

  it('kafkajs: retries exhausted on a refused connection, and its retriable errors', async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const producer = kafka.producer();
    const exhausted = await rejection(producer.connect());
    expect(exhausted).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retriable: false });
    expect(failureKind(exhausted)).toBe('transient');
    expect(failureKind(new KafkaJSConnectionError('Connection timeout'))).toBe('transient');
  });
});

describe('permanent: the message can never be applied', () => {
  it('PermanentError and its subclasses, a schema violation, even with a connection error as cause', () => {
    let schemaError: unknown;
    try {
      outboxPayload(
        {
          id: 'e-1',
          type: EventType.InventoryRestocked,
          aggregateType: 'inventory',
          aggregateId: 'p',
          schemaVersion: 1,
          occurredAt: '',
          payload: { productId: 'p', added: 0 },
        },
        EventType.InventoryRestocked,
      );
    } catch (error) {
      schemaError = error;
    }
    expect(schemaError).toMatchObject({ name: 'SchemaViolationError' });
    expect(failureKind(schemaError)).toBe('permanent');
    expect(failureKind(new PermanentError('order not found'))).toBe('permanent');
    const wrapped = new PermanentError('unknown order');
    wrapped.cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(failureKind(wrapped)).toBe('permanent');
  });

  it('Temporal: a workflow that does not exist, a non-retryable failure', () => {
    expect(failureKind(new WorkflowNotFoundError('workflow not found', 'order-x', undefined))).toBe(
      'permanent',
    );
    expect(failureKind(ApplicationFailure.nonRetryable('refused', 'OutOfStock'))).toBe('permanent');
    expect(failureKind(ApplicationFailure.retryable('try again'))).toBe('unknown');
  });
});

describe('unknown: bounded retries, then the DLQ', () => {
  it('a bug, a business wait, a constraint violation, a non-retriable Kafka error, a thrown non-error', () => {
    const unique = new OrdersPrisma.PrismaClientKnownRequestError('Unique constraint failed', {
      code: 'P2002',
      clientVersion: OrdersPrisma.prismaVersion.client,
    });
    const unknown: unknown[] = [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      new OrderNotConfirmedYetError('o-1'),
      unique,
      new KafkaJSNonRetriableError('not retriable'),
      new (ReplyError as new (message: string) => Error)('ERR unknown command'),
      'a string',
      undefined,
    ];
    for (const error of unknown) expect(failureKind(error)).toBe('unknown');
  });
});

describe('retrying a transient failure', () => {
  it('backs off from 200 ms doubling to a 30 s cap, with jitter in the upper half', () => {
    const ceilings = [1, 2, 3, 8, 9, 100, 5000].map((attempt) =>
      backoffDelay(TRANSIENT_BACKOFF, attempt, () => 1),
    );
    expect(ceilings).toEqual([200, 400, 800, 25_600, 30_000, 30_000, 30_000]);
    expect(backoffDelay(TRANSIENT_BACKOFF, 9, () => 0)).toBe(15_000);
  });

  it('the wait heartbeats while it holds the partition and ends at once on shutdown', async () => {
    let heartbeats = 0;
    const stop = new AbortController();
    const hold = { heartbeat: async () => void (heartbeats += 1), proceed: () => true, stopped: stop.signal };
    expect(await waitHoldingPartition(2100, hold)).toBe(true);
    expect(heartbeats).toBe(3);

    const started = Date.now();
    setTimeout(() => stop.abort(), 50);
    expect(await waitHoldingPartition(30_000, hold)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);

    let owned = true;
    setTimeout(() => (owned = false), 50);
    const rebalanced = { ...hold, stopped: new AbortController().signal, proceed: () => owned };
    expect(await waitHoldingPartition(30_000, rebalanced)).toBe(false);
  });

  it('a paused partition is resumed after its backoff, and not at all once the runner stops', async () => {
    const events: string[] = [];
    const payload = { pause: () => (events.push('pause'), () => void events.push('resume')) };
    const paused = new PausedPartitions();
    paused.pause(payload, 20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual(['pause', 'resume']);
    paused.pause(payload, 50);
    paused.clear();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual(['pause', 'resume', 'pause']);
  });

  it("counts a message's failures across its pauses, and starts afresh for the next offset", () => {
    const retrying = new RetryingMessages();
    const first = retrying.of('t', 0, '7');
    first.attempts += 1;
    first.transient += 1;
    expect(retrying.of('t', 0, '7')).toBe(first);
    expect(retrying.of('t', 1, '7')).not.toBe(first);
    expect(retrying.of('t', 0, '8')).toEqual({ offset: '8', attempts: 0, transient: 0, bounded: 0 });
    retrying.settled('t', 0);
    expect(retrying.of('t', 0, '8')).toEqual({ offset: '8', attempts: 0, transient: 0, bounded: 0 });
  });
});
