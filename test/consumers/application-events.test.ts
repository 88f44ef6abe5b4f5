import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Client } from 'pg';
import { stackConfig, uniqueSuffix } from '../support/stack-env';

interface ApplicationEvent {
  eventId: string;
  type: string;
  orderId: string;
  status: string;
  reason: string | null;
}

/** Runs against the stack's consumers process: raw order changes become the seed's application events. */
describe('application events (ORDER_CREATED, ORDER_CANCELLED)', () => {
  let consumer: Consumer;
  let db: Client;
  const seen: ApplicationEvent[] = [];

  beforeAll(async () => {
    db = new Client({ connectionString: stackConfig.ORDERS_DATABASE_URL });
    await db.connect();
    const kafka = new Kafka({ brokers: stackConfig.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: `test-app-events-${uniqueSuffix()}` });
    await consumer.connect();
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topics: ['ORDER_CREATED', 'ORDER_CANCELLED'], fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) seen.push(JSON.parse(message.value.toString()) as ApplicationEvent);
      },
    });
    await joined;
  });

  afterAll(async () => {
    await consumer.disconnect();
    await db.end();
  });

  const waitFor = async (predicate: () => boolean, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for application events');
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('publishes ORDER_CREATED for a new order and ORDER_CANCELLED when it is cancelled', async () => {
    const orderId = randomUUID();
    await db.query(
      `INSERT INTO orders (id, customer_id, total_amount, street_address, city, postal_code, country)
       VALUES ($1, 'app-events', 5.00, '1 Event St', 'Kafkaville', '1000', 'NL')`,
      [orderId],
    );
    await waitFor(() => seen.some((e) => e.orderId === orderId && e.type === 'ORDER_CREATED'));
    await db.query(
      `UPDATE orders SET status = 'CANCELLED', cancellation_reason = 'CUSTOMER_REQUEST', version = version + 1 WHERE id = $1`,
      [orderId],
    );
    await waitFor(() => seen.some((e) => e.orderId === orderId && e.type === 'ORDER_CANCELLED'));
    const cancelled = seen.find((e) => e.orderId === orderId && e.type === 'ORDER_CANCELLED')!;
    expect(cancelled).toMatchObject({
      eventId: `${orderId}:ORDER_CANCELLED`,
      status: 'CANCELLED',
      reason: 'CUSTOMER_REQUEST',
    });
    // An unrelated update (no status change) publishes nothing more.
    await db.query(`UPDATE orders SET delivery_instructions = 'leave at door' WHERE id = $1`, [orderId]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(seen.filter((e) => e.orderId === orderId)).toHaveLength(2);
    await db.query('DELETE FROM orders WHERE id = $1', [orderId]);
  }, 60_000);
});
