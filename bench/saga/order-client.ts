import { randomUUID } from 'node:crypto';
import { benchAuthorization } from '../bench-token';
import { sleep } from '../load/timed';

/** How the bench talks to the running API: over HTTP only, as a client would. */
export interface OrderClient {
  apiUrl: string;
  productId: string;
  /** Every bench order carries it, so a run's orders can be found (and told from anyone else's). */
  customerId: string;
  /** The shortest interval between two reads of a pending order. */
  pollMs: number;
  postTimeoutMs: number;
  /** From the POST: an order whose saga has not settled by then is a timeout. */
  settleTimeoutMs: number;
}

/**
 * confirmed / cancelled: the status the API answered with at the end; timeout: the POST or the
 * settling outlived its deadline; rejected: the POST answered an error status; error: no answer.
 */
export type OrderOutcome = 'confirmed' | 'cancelled' | 'timeout' | 'rejected' | 'error';

export interface OrderResult {
  outcome: OrderOutcome;
  orderId?: string;
  /** Until the POST's answer. */
  postMs?: number;
  /** From sending the POST until a GET first showed the order settled. */
  settleMs?: number;
  lastStatus?: string;
  cancellationReason?: string | null;
  detail?: string;
}

/** The test cards of activities/payments/simulated-provider.ts (TEST_PAYMENT_METHODS). */
export const PAYMENT_METHODS = { approved: 'tok_visa', declined: 'tok_chargeDeclined' } as const;

const CONFIRMED_OR_LATER = new Set(['CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED']);

interface OrderBody {
  id?: string;
  status?: string;
  cancellationReason?: string | null;
}

const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export async function fetchJson<T>(
  url: string,
  init: RequestInit & { timeoutMs: number },
): Promise<{ status: number; body: T | undefined }> {
  const headers = new Headers(init.headers);
  headers.set('authorization', await benchAuthorization());
  const response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(init.timeoutMs) });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json') && text.length > 0;
  return { status: response.status, body: json ? (JSON.parse(text) as T) : undefined };
}

/** The longest interval between two reads of a pending order. */
const MAX_POLL_MS = 500;

/**
 * The wait before the next read: pollMs, or a twentieth of the time waited so far when that is
 * longer (at most MAX_POLL_MS). A settle time is then known to within 5 % (or pollMs), and a few
 * dozen clients waiting seconds each at saturation do not turn into a thousand cached GETs a
 * second that would take the CPU the saga needs (two cores run the whole stack here).
 */
export const pollDelayMs = (pollMs: number, waitedMs: number) =>
  Math.max(pollMs, Math.min(MAX_POLL_MS, waitedMs / 20));

/** GET /api/orders/{id} until the order is confirmed or cancelled, or the deadline. */
async function settle(client: OrderClient, orderId: string, began: number, deadline: number) {
  let lastStatus: string | undefined;
  let cancellationReason: string | null | undefined;
  while (performance.now() < deadline) {
    try {
      const { status, body } = await fetchJson<OrderBody>(`${client.apiUrl}/api/orders/${orderId}`, {
        timeoutMs: Math.max(1, Math.min(5000, deadline - performance.now())),
      });
      // A 404 is an order not visible yet (or a failed read); both mean: ask again.
      if (status === 200 && body?.status) {
        lastStatus = body.status;
        cancellationReason = body.cancellationReason;
        const settleMs = performance.now() - began;
        if (CONFIRMED_OR_LATER.has(body.status))
          return { outcome: 'confirmed' as const, settleMs, lastStatus };
        if (body.status === 'CANCELLED')
          return { outcome: 'cancelled' as const, settleMs, lastStatus, cancellationReason };
      }
    } catch {
      // A poll that failed or timed out is just a poll without an answer.
    }
    await sleep(pollDelayMs(client.pollMs, performance.now() - began));
  }
  return { outcome: 'timeout' as const, lastStatus, cancellationReason, detail: 'not settled in time' };
}

/** POST /api/orders (one unit of the bench product, a fresh Idempotency-Key), then wait for it to settle. */
export async function placeAndSettle(client: OrderClient, paymentMethod: string): Promise<OrderResult> {
  const began = performance.now();
  const deadline = began + client.settleTimeoutMs;
  let orderId: string | undefined;
  let postMs: number;
  try {
    const { status, body } = await fetchJson<OrderBody>(`${client.apiUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        customerId: client.customerId,
        items: [{ productId: client.productId, quantity: 1 }],
        address: { streetAddress: '1 Bench Street', city: 'Benchville', postalCode: '1011AA', country: 'NL' },
        paymentMethod,
      }),
      timeoutMs: client.postTimeoutMs,
    });
    postMs = performance.now() - began;
    if (status < 200 || status >= 300 || !body?.id)
      return { outcome: 'rejected', postMs, detail: `POST answered ${status}` };
    orderId = body.id;
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return { outcome: timedOut ? 'timeout' : 'error', detail: `POST: ${describe(error)}` };
  }
  return { orderId, postMs, ...(await settle(client, orderId, began, deadline)) };
}
