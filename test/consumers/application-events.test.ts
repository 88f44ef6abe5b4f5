import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { TopicWatcher } from '../support/signals';
import { stackConfig } from '../support/stack-env';

interface ApplicationEvent {
  eventId: string;
  type: string;
  orderId: string;
  status: string;
  reason: string | null;
}

/** Runs against the stack's consumers process: raw order changes become the seed's application events. */
describe('application events (ORDER_CREATED, ORDER_CANCELLED)', () => {
  // A group that starts at each partition's end as it is now (not at "latest" some time after it
  // joined, which could skip the ORDER_CREATED this test causes).
  const watcher = new TopicWatcher(['ORDER_CREATED', 'ORDER_CANCELLED']);
  let db: Client;
  const events = () =>
    watcher.seen.flatMap((m) => (m.value ? [JSON.parse(m.value) as ApplicationEvent] : []));

  beforeAll(async () => {
    db = new Client({ connectionString: stackConfig.ORDERS_DATABASE_URL });
    await db.connect();
    await watcher.start();
  });

  afterAll(async () => {
    await watcher.stop();
    await db.end();
  });

  // Generous: a suite running beside this one may join or leave the stack's consumer groups, and a
  // rebalance holds every partition of the group until each member has rejoined.
  const waitFor = async (predicate: () => boolean, ms = 90_000) => {
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
    await waitFor(() => events().some((e) => e.orderId === orderId && e.type === 'ORDER_CREATED'));
    await db.query(
      `UPDATE orders SET status = 'CANCELLED', cancellation_reason = 'CUSTOMER_REQUEST', version = version + 1 WHERE id = $1`,
      [orderId],
    );
    await waitFor(() => events().some((e) => e.orderId === orderId && e.type === 'ORDER_CANCELLED'));
    const cancelled = events().find((e) => e.orderId === orderId && e.type === 'ORDER_CANCELLED')!;
    expect(cancelled).toMatchObject({
      eventId: `${orderId}:ORDER_CANCELLED`,
      status: 'CANCELLED',
      reason: 'CUSTOMER_REQUEST',
    });
    // An unrelated update (no status change) publishes nothing more.
    await db.query(`UPDATE orders SET delivery_instructions = 'leave at door' WHERE id = $1`, [orderId]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(events().filter((e) => e.orderId === orderId)).toHaveLength(2);
    await db.query('DELETE FROM orders WHERE id = $1', [orderId]);
  }, 240_000);
});
