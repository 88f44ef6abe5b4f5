/**
 * The Kafka broker restarts under the running stack: DISRUPTIVE (every client loses its
 * connections, consumer groups rebalance while the group coordinator reloads its offsets), so it
 * lives in test/serial. Right after a restart the coordinator answers "loading" for a while; kafkajs
 * treats that as a crash it recovers from by itself. The stack's consumers process must recover on
 * its own, report itself live again (and stay so), and go on applying changes: an inventory update
 * written after the restart reaches the Redis cache through Debezium and the cache consumer.
 */
import { inventoryItemKey } from '../../cache/keys';
import { updateItem } from '../../domain/inventory/catalog';
import { createTestItem, testRunId } from '../support/db';
import { closeStackClients, createStackClients, sleep, waitFor } from '../support/orders-e2e';
import { runCli } from '../support/signals';
import { stackConfig } from '../support/stack-env';

const RUN = testRunId('kafkarestart');
const consumersHealth = `http://127.0.0.1:${stackConfig.CONSUMERS_METRICS_PORT}/health`;

const stack = createStackClients(2);
const { inventoryDb, redis } = stack;

afterAll(() => closeStackClients(stack, RUN));

const live = async () => (await fetch(consumersHealth).catch(() => undefined))?.status === 200;
const cachedVersion = async (productId: string) =>
  Number((await redis.hget(inventoryItemKey(productId), 'v')) ?? -1);

it('consumers recover from a broker restart by themselves and keep applying changes', async () => {
  expect(await live()).toBe(true);

  const restart = await runCli(['stack', 'restart', 'kafka'], 180_000);
  expect(restart.code).toBe(0);

  // Live again, and it stays so (not a moment between two crashes).
  await waitFor('the consumers process live again', async () => ((await live()) ? true : undefined), {
    timeoutMs: 120_000,
    intervalMs: 1000,
  });
  for (let check = 0; check < 5; check += 1) {
    await sleep(2000);
    expect(await live()).toBe(true);
  }

  const productId = `${RUN}-item`;
  await createTestItem(inventoryDb, productId, 5);
  const updated = await updateItem(inventoryDb, productId, { availableQuantity: 9 });
  expect(updated.item.version).toBeGreaterThan(0);
  await waitFor(
    'the update in the cache',
    async () => ((await cachedVersion(productId)) >= updated.item.version ? true : undefined),
    { timeoutMs: 90_000, intervalMs: 500 },
  );
});
