import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { Client } from 'pg';
import { kafka, startGroupAtEnd } from '../support/signals';
import { stackConfig, uniqueSuffix } from '../support/stack-env';

const TOPIC = 'trackops_orders.public.orders';

interface ChangeEvent {
  op: string;
  after: { id: string; customer_id: string; total_amount: string; status: string } | null;
  source: { db: string; table: string; lsn: number };
}

describe('smoke: Postgres -> Debezium -> Kafka', () => {
  let consumer: Consumer;
  let db: Client;

  beforeAll(async () => {
    db = new Client({ connectionString: stackConfig.ORDERS_DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await db.end();
  });

  it('reports the orders connector and its task RUNNING on the Connect REST API', async () => {
    const response = await fetch(`${stackConfig.KAFKA_CONNECT_URL}/connectors/trackops-orders/status`);
    expect(response.status).toBe(200);
    const status = (await response.json()) as { connector: { state: string }; tasks: { state: string }[] };
    expect(status.connector.state).toBe('RUNNING');
    expect(status.tasks.length).toBeGreaterThan(0);
    expect(status.tasks.every((t) => t.state === 'RUNNING')).toBe(true);
  });

  it('delivers a row written to the orders database as a change event on its topic', async () => {
    const groupId = `smoke-cdc-${uniqueSuffix()}`;
    await startGroupAtEnd(groupId, [TOPIC]);
    consumer = kafka().consumer({ groupId });
    await consumer.connect();
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topic: TOPIC, fromBeginning: false });

    const orderId = randomUUID();
    const received = new Promise<{ key: string; event: ChangeEvent }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (!message.value) return;
          const event = JSON.parse(message.value.toString()) as ChangeEvent;
          if (event.after?.id === orderId) resolve({ key: message.key?.toString() ?? '', event });
        },
      });
    });
    await joined;

    await db.query(
      `INSERT INTO orders (id, customer_id, total_amount, street_address, city, postal_code, country)
       VALUES ($1, 'smoke-customer', 12.34, '1 Smoke Street', 'Testville', '00000', 'NL')`,
      [orderId],
    );

    const { key, event } = await received;
    expect(event.op).toBe('c');
    expect(event.source).toMatchObject({ db: 'trackops_orders', table: 'orders' });
    expect(event.after).toMatchObject({
      id: orderId,
      customer_id: 'smoke-customer',
      total_amount: '12.34',
      status: 'PENDING',
    });
    expect(JSON.parse(key)).toEqual({ id: orderId });
    await db.query('DELETE FROM orders WHERE id = $1', [orderId]);
  }, 60_000);
});
