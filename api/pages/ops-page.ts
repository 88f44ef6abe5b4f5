import { Router } from 'express';
import { page } from './html';

const BODY = `<main class="ops">
<h1>TrackOps operations</h1>
<form id="login" class="login" hidden>
<label>Operator token <input id="token" type="password" autocomplete="off" placeholder="trackops token --role operator"></label>
<button type="submit">Open</button>
</form>
<p id="error" class="error" role="alert"></p>
<div id="view" hidden>
<h2>Orders by status</h2><div id="counts" class="cards"></div>
<h2>Compensations and dead letters</h2><div id="health" class="cards"></div>
<div id="dlq"></div>
<h2>Recent orders</h2>
<form id="filters" class="filters">
<select id="status-filter" name="status"><option value="">any status</option>
<option>PENDING</option><option>CONFIRMED</option><option>PROCESSING</option><option>SHIPPED</option><option>DELIVERED</option><option>CANCELLED</option></select>
<input id="customer-filter" name="customerId" placeholder="customer id">
<button type="submit">Filter</button>
</form>
<table id="orders"><thead><tr><th>order</th><th>customer</th><th>status</th><th>total</th><th>created</th><th>links</th></tr></thead><tbody></tbody></table>
<h2>Low stock</h2>
<table id="low-stock"><thead><tr><th>product</th><th>name</th><th>available</th><th>minimum</th></tr></thead><tbody></tbody></table>
</div>
</main>`;

/**
 * `/ops`: the operator view. The page itself holds no data; its script (static/ops.js) reads
 * `/api/ops/overview` with the operator's bearer token, so the data is behind the same role check as
 * the rest of the operator API (api/auth/) and no token ever appears in an address.
 */
export function createOpsPageRouter(): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(page('TrackOps operations', BODY, 'ops.js'));
  });
  return router;
}
