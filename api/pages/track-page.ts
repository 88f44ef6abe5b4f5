import { Router } from 'express';
import type { ApiDependencies } from '../dependencies';
import { trackedOrder } from '../tracking/order-access';
import { escapeHtml, page } from './html';

/** The customer's milestones in order; the page script marks them as the order's events arrive. */
export const TRACKING_STEPS = [
  ['placed', 'Placed'],
  ['reserved', 'Stock reserved'],
  ['paid', 'Paid'],
  ['confirmed', 'Confirmed'],
  ['shipped', 'Shipped'],
  ['delivered', 'Delivered'],
] as const;

/**
 * `/track/{orderId}?token=...`: the order's timeline for its customer, no account needed (the
 * tracking token from the order's creation). The server renders the order as it is; the page
 * script (static/track.js) fills in the timeline from the order's event stream and keeps it live.
 */
export function createTrackPageRouter(deps: ApiDependencies): Router {
  const router = Router();
  router.get('/:orderId', async (req, res) => {
    const order = await trackedOrder(deps, req);
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const steps = TRACKING_STEPS.map(
      ([key, label]) =>
        `<li class="step" data-step="${key}"><span class="dot"></span><span class="label">${label}</span><time></time></li>`,
    ).join('\n');
    const body = `<main class="track" data-order-id="${escapeHtml(order.id)}" data-token="${escapeHtml(token)}">
<h1>Your order</h1>
<p class="order-id">${escapeHtml(order.id)}</p>
<p class="status-line">Status: <strong id="status" data-status="${order.status}">${order.status}</strong>
<span id="live" class="live">connecting</span></p>
<ol id="timeline" class="timeline">
${steps}
<li class="step cancelled" data-step="cancelled" hidden><span class="dot"></span><span class="label">Cancelled</span><time></time>
<p id="cancel-reason" class="reason">${escapeHtml(order.cancellationReason ?? '')}</p></li>
</ol>
<section id="compensations" class="compensations" hidden><h2>What was undone</h2><ul></ul></section>
</main>`;
    res.setHeader('Cache-Control', 'no-store');
    // The token is in the address: it must not travel on to other sites as a referrer.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(page(`Order ${order.id}`, body, 'track.js'));
  });
  return router;
}
