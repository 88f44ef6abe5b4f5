/**
 * The raw-change connector of the inventory database (debezium/trackops-inventory.json): a change to
 * inventory_items arrives on trackops_inventory.public.inventory_items as a Debezium envelope, for
 * the cache consumer.
 */
import type { Consumer } from 'kafkajs';
import { closeTestDbs, createTestDbs, createTestItem, testRunId } from '../support/db';
import { startGroupAtEnd, kafka as testKafka } from '../support/signals';

const TOPIC = 'trackops_inventory.public.inventory_items';
const RUN = testRunId('cdcinv');

interface ItemRow {
  product_id: string;
  available_quantity: number;
  unit_price: string;
  version: number;
}
interface ChangeEvent {
  op: string;
  before: ItemRow | null;
  after: ItemRow | null;
  source: { db: string; table: string };
}

const dbs = createTestDbs(2);
let consumer: Consumer;

afterAll(async () => {
  await consumer?.disconnect();
  await closeTestDbs(dbs, RUN);
});

it('delivers inserts and updates of inventory_items, decimals as strings, keyed by product id', async () => {
  const kafka = testKafka();
  const groupId = `test-cdc-inventory-${RUN}`;
  await startGroupAtEnd(groupId, [TOPIC]);

  const productId = `${RUN}-item`;
  const events: { key: unknown; event: ChangeEvent }[] = [];
  consumer = kafka.consumer({ groupId });
  await consumer.connect();
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.subscribe({ topic: TOPIC });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const event = JSON.parse(message.value.toString()) as ChangeEvent;
      if ((event.after ?? event.before)?.product_id === productId) {
        events.push({ key: JSON.parse(message.key!.toString()) as unknown, event });
      }
    },
  });
  await joined;

  await createTestItem(dbs.inventoryDb, productId, 5, '19.90');
  await dbs.inventoryDb.inventoryItem.update({
    where: { productId },
    data: { availableQuantity: 8, version: { increment: 1 } },
  });

  const deadline = Date.now() + 30_000;
  while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(events.map(({ event }) => event.op)).toEqual(['c', 'u']);
  const [created, updated] = events;
  expect(created!.key).toEqual({ product_id: productId });
  expect(created!.event.source).toMatchObject({ db: 'trackops_inventory', table: 'inventory_items' });
  expect(created!.event.after).toMatchObject({
    product_id: productId,
    available_quantity: 5,
    unit_price: '19.90',
  });
  expect(updated!.event.after).toMatchObject({ available_quantity: 8, version: 1 });
  // REPLICA IDENTITY FULL (inventory migration): the update carries the row before it.
  expect(updated!.event.before).toMatchObject({ available_quantity: 5, version: 0 });
}, 60_000);
