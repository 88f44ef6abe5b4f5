import { randomUUID } from 'node:crypto';
import { mintLocalToken } from '../api/auth/tokens';
import type { StackContext } from '../deploy/stack/component';
import { loadConfig } from '../lib/config';
import { sleep } from '../deploy/stack/processes';

interface OrderView {
  id: string;
  status: string;
  totalAmount: string;
  workflowId: string;
}

/**
 * The main job, once: one order submitted over REST and followed until its saga has confirmed it,
 * so a fresh `stack up` shows the whole path working (API, Postgres, Temporal, worker, payment).
 */
export async function placeDemoOrder(ctx: StackContext): Promise<void> {
  const api = `http://127.0.0.1:${ctx.ports.API_PORT}`;
  // The demo customer places and follows their own order, as a customer's app would.
  const config = loadConfig({ ...process.env, ...ctx.env });
  const customer = {
    authorization: `Bearer ${await mintLocalToken(config, { role: 'customer', customerId: 'demo-customer' })}`,
  };
  const response = await fetch(`${api}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `demo-${randomUUID()}`, ...customer },
    body: JSON.stringify({
      items: [
        { productId: 'MUG-001', quantity: 2 },
        { productId: 'BOOK-001', quantity: 1 },
      ],
      address: { streetAddress: '1 Demo Street', city: 'Amsterdam', postalCode: '1011AA', country: 'NL' },
    }),
  });
  if (response.status !== 201)
    throw new Error(`demo order refused: ${response.status} ${await response.text()}`);
  const order = (await response.json()) as OrderView;
  ctx.progress('api', `demo order ${order.id} submitted (${order.totalAmount}); following its saga`);
  const deadline = Date.now() + 60_000;
  let status = order.status;
  while (status === 'PENDING' && Date.now() < deadline) {
    await sleep(300);
    status = (
      (await (await fetch(`${api}/api/orders/${order.id}`, { headers: customer })).json()) as OrderView
    ).status;
  }
  ctx.progress('api', `demo order ${order.id} is ${status}`);
  process.stdout.write(
    [
      '',
      `Demo order ${order.id}: ${status}`,
      `  its saga:  curl -s ${api}/api/orders/${order.id}/saga -H "Authorization: Bearer $(bin/trackops token --role operator)"`,
      `  Web UI:    http://127.0.0.1:${ctx.ports.TEMPORAL_UI_PORT}/namespaces/default/workflows/${order.workflowId}`,
      `  ship it:   curl -s -XPUT ${api}/api/orders/${order.id}/status -H "Authorization: Bearer $(bin/trackops token --role operator)" -H 'content-type: application/json' -d '{"newStatus":"SHIPPED"}'`,
      '',
    ].join('\n'),
  );
  if (status !== 'CONFIRMED') throw new Error(`demo order did not confirm (status ${status})`);
}
