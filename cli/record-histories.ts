import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createInventoryDb } from '../domain/inventory/db';
import { createItem } from '../domain/inventory/catalog';
import { createOrdersDb } from '../domain/orders/db';
import { priceOrder } from '../domain/orders/place-order';
import { SagaClient } from '../api/saga-client';
import { sagaInputFor } from '../api/saga-input';
import { appEnvironment } from '../deploy/stack/components/app-process';
import { createStackContext } from '../deploy/stack/context';
import { repoRoot } from '../deploy/stack/paths';
import { launchDetached, sleep, stopProcess } from '../deploy/stack/processes';
import { loadConfig } from '../lib/config';
import { createTemporalClient } from '../lib/temporal-client';
import { orderWorkflowId, type OrderStatus } from '../workflows/contract';

const HISTORIES_DIR = path.join(repoRoot, 'test', 'fixtures', 'histories');

/**
 * Runs the saga's main paths on the real stack with a worker of its own (on a queue of its own)
 * and saves each finished history as JSON. The files are committed and replayed by the suite, so
 * a change to the workflow that breaks running sagas fails CI.
 */
export function registerRecordHistoriesCommand(program: Command): void {
  program
    .command('record-histories')
    .description(
      'run the saga scenarios on the running stack and save their histories under test/fixtures/histories',
    )
    .option('--prefix <prefix>', 'file name prefix, e.g. the workflow version', 'v1')
    .action(async (options: { prefix: string }) => {
      const ctx = createStackContext();
      const taskQueue = `orders-recording-${Date.now().toString(36)}`;
      const env = {
        ...appEnvironment(ctx),
        TEMPORAL_TASK_QUEUE: taskQueue,
        WORKER_METRICS_PORT: '9479',
        TEMPORAL_SDK_METRICS_PORT: '9480',
        PAYMENT_TIMEOUT_MS: '1500',
        SHIPMENT_SLA: '2s',
        LOG_LEVEL: 'warn',
      };
      const config = loadConfig(env);
      const ordersDb = createOrdersDb(config.ORDERS_DATABASE_URL, 4);
      const inventoryDb = createInventoryDb(config.INVENTORY_DATABASE_URL, 4);
      const temporal = createTemporalClient(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
      const sagas = new SagaClient(temporal, taskQueue);
      // The worker runs detached in a process group of its own, like the stack's app processes.
      const workerPidFile = path.join(ctx.paths.run, 'record-histories-worker.pid');
      const startWorker = () =>
        launchDetached({
          command: process.execPath,
          args: ['--import', 'tsx', path.join(repoRoot, 'worker', 'main.ts')],
          cwd: repoRoot,
          env,
          logFile: path.join(ctx.paths.logs, 'record-histories-worker.log'),
          pidFile: workerPidFile,
        });
      startWorker();
      const suffix = Date.now().toString(36);
      const productId = `REC-${suffix}`;
      await createItem(inventoryDb, {
        productId,
        productName: 'Recording widget',
        availableQuantity: 100,
        unitPrice: '10.00',
      });

      const order = async (quantity: number, paymentMethod = 'tok_visa') => {
        const priced = await priceOrder(inventoryDb, {
          customerId: `recorder-${suffix}`,
          items: [{ productId, quantity }],
          address: { streetAddress: '1 Replay Road', city: 'Histon', postalCode: 'CB24', country: 'GB' },
        });
        const input = sagaInputFor(priced, {
          paymentMethod,
          shipmentSla: config.SHIPMENT_SLA,
          backorderTimeout: config.BACKORDER_TIMEOUT,
          requestId: randomUUID(),
        });
        await sagas.place(input, input.draft.requestId);
        return priced.orderId;
      };
      const statusOf = async (orderId: string) =>
        (await ordersDb.order.findUniqueOrThrow({ where: { id: orderId } })).status;
      const waitFor = async (orderId: string, wanted: OrderStatus[], timeoutMs = 120_000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const status = await statusOf(orderId);
          if (wanted.includes(status)) return status;
          if (Date.now() > deadline) throw new Error(`order ${orderId} stuck at ${status}`);
          await sleep(250);
        }
      };
      const save = async (name: string, orderId: string) => {
        const handle = temporal.workflow.getHandle(orderWorkflowId(orderId));
        await handle.result().catch(() => undefined);
        const file = path.join(HISTORIES_DIR, `${options.prefix}-${name}.json`);
        fs.mkdirSync(HISTORIES_DIR, { recursive: true });
        fs.writeFileSync(file, `${historyToJSON(await handle.fetchHistory())}\n`);
        process.stderr.write(`saved ${path.relative(repoRoot, file)}\n`);
      };

      try {
        const delivered = await order(2);
        await waitFor(delivered, ['CONFIRMED']);
        await sleep(3000); // past the 2s shipment SLA: the history includes the alert timer
        for (const newStatus of ['PROCESSING', 'SHIPPED', 'DELIVERED'] as const) {
          await sagas.changeStatus(delivered, { newStatus, source: 'recorder' });
        }
        await save('success-delivered', delivered);

        const outOfStock = await order(1000);
        await waitFor(outOfStock, ['CANCELLED']);
        await save('out-of-stock', outOfStock);

        const declined = await order(1, 'tok_chargeDeclined');
        await waitFor(declined, ['CANCELLED']);
        await save('payment-declined', declined);

        const cancelled = await order(1);
        await waitFor(cancelled, ['CONFIRMED']);
        await sagas.cancel(cancelled, { reason: 'CUSTOMER_REQUEST' });
        await waitFor(cancelled, ['CANCELLED']);
        await save('customer-cancel', cancelled);

        // `temporal workflow cancel` by an operator (PATCH_COMPENSATE_ON_EXECUTION_CANCEL).
        const operatorCancelled = await order(1);
        await waitFor(operatorCancelled, ['CONFIRMED']);
        await temporal.workflow.getHandle(orderWorkflowId(operatorCancelled)).cancel();
        await waitFor(operatorCancelled, ['CANCELLED']);
        await save('operator-cancel', operatorCancelled);

        // The provider never answers; the worker dies mid-authorization, a new one takes over, the
        // payment step gives up and the saga compensates.
        const crashed = await order(1, 'tok_timeout');
        await sleep(2500);
        await stopProcess(workerPidFile, 0, 'SIGKILL');
        await sleep(1000);
        startWorker();
        await waitFor(crashed, ['CANCELLED'], 180_000);
        await save('compensation-after-crash', crashed);
      } finally {
        await Promise.allSettled([
          stopProcess(workerPidFile),
          ordersDb.$disconnect(),
          inventoryDb.$disconnect(),
          temporal.connection.close(),
        ]);
      }
    });
}
