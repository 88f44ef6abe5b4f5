import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mustRun } from '../../deploy/stack/commands';
import { temporalDbFile } from '../../deploy/stack/components/temporal';
import { stackPaths } from '../../deploy/stack/paths';
import { temporalCliPath } from '../../deploy/temporal/binaries';
import { bundleTestWorkflows, installQuietRuntime } from '../support/temporal-env';
import { fixtureActivities } from '../temporal/fixtures/activities';
import { tagWithOrderId } from '../temporal/fixtures/workflows';

// Runs against the stack's real dev server (`bin/trackops stack up`), not a throwaway one.
const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const namespace = 'default';

interface ListedExecution {
  execution: { workflowId: string; runId: string };
  status: string;
}

/** Lists through the CLI, the same way an operator would look for an order's workflow. */
async function listWorkflows(query: string): Promise<ListedExecution[]> {
  const args = ['workflow', 'list', '--address', address, '--namespace', namespace, '--query', query];
  const stdout = await mustRun(temporalCliPath(), [
    ...args,
    '--output',
    'json',
    '--disable-config-file',
    '--disable-config-env',
  ]);
  return JSON.parse(stdout) as ListedExecution[];
}

/** Visibility records are written asynchronously after the workflow closes, so poll briefly. */
async function listUntil(
  query: string,
  done: (rows: ListedExecution[]) => boolean,
): Promise<ListedExecution[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await listWorkflows(query);
    if (done(rows) || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe(`Temporal dev server at ${address}`, () => {
  let connection: Connection;
  let workerConnection: NativeConnection;

  beforeAll(async () => {
    installQuietRuntime();
    try {
      connection = await Connection.connect({ address, connectTimeout: 5_000 });
    } catch (error) {
      throw new Error(
        `no Temporal server at ${address} (start it with \`bin/trackops stack up\`): ${String(error)}`,
      );
    }
    workerConnection = await NativeConnection.connect({ address });
  });

  afterAll(async () => {
    await workerConnection?.close();
    await connection?.close();
  });

  it('runs a workflow that upserts OrderId, and the CLI finds it by id and by OrderId', async () => {
    const id = randomUUID();
    const workflowId = `smoke-temporal-${id}`;
    const orderId = `smoke-order-${id}`;
    const taskQueue = `smoke-temporal-${id}`;
    const worker = await Worker.create({
      connection: workerConnection,
      namespace,
      taskQueue,
      workflowBundle: await bundleTestWorkflows(
        path.join(__dirname, '..', 'temporal', 'fixtures', 'workflows.ts'),
      ),
      activities: fixtureActivities,
    });
    const client = new Client({ connection, namespace });
    const result = await worker.runUntil(
      client.workflow.execute(tagWithOrderId, { taskQueue, workflowId, args: [orderId] }),
    );
    expect(result).toBe(orderId);

    const completed = (rows: ListedExecution[]) =>
      rows.some((row) => row.status === 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
    const byId = await listUntil(`WorkflowId='${workflowId}'`, completed);
    expect(byId).toHaveLength(1);
    expect(byId[0]).toMatchObject({
      execution: { workflowId },
      status: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
    });

    const byOrder = await listUntil(`OrderId='${orderId}'`, completed);
    expect(byOrder.map((row) => row.execution.workflowId)).toEqual([workflowId]);
  }, 120_000);

  it('keeps its history in a SQLite database in WAL mode', () => {
    const file = temporalDbFile({ paths: stackPaths() });
    const header = Buffer.alloc(20);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, header, 0, header.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    expect(header.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
    // The file format's write and read versions: 2 once journal_mode=wal was applied, 1 before.
    expect([header[18], header[19]]).toEqual([2, 2]);
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
  });
});
