import { Router, type Response } from 'express';
import type { ApiDependencies } from '../dependencies';
import { unavailable } from '../errors';
import { orderBacklog } from './order-backlog';
import type { OrderEventBus } from './order-event-bus';
import { trackedOrder } from './order-access';
import type { TrackingEvent } from './tracking-event';

export interface StreamOptions {
  /** A comment line this often keeps proxies and the browser from closing an idle stream. */
  heartbeatMs: number;
  /** What the browser waits before it reconnects (the SSE `retry` field). */
  reconnectMs: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = { heartbeatMs: 15_000, reconnectMs: 2_000 };

const frame = (name: string, data: unknown, id?: string) =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * `GET /api/orders/{id}/stream`: Server-Sent Events of one order. First a `snapshot` (the order's
 * current status), then each `order-event` (status changes and saga steps) with its outbox id as the
 * SSE id: the events still in the outbox after the client's `Last-Event-ID` (all of them on a first
 * connection), then live ones from Kafka as they are published, each sent once.
 */
export function createOrderStreamRouter(
  deps: ApiDependencies,
  bus: OrderEventBus,
  options: StreamOptions = DEFAULT_STREAM_OPTIONS,
): Router {
  const router = Router();

  router.get('/api/orders/:id/stream', async (req, res) => {
    // Listened for before the first await: a client gone while the order is read or the feed is
    // joined (seconds, the first time) must still unsubscribe, and never get a heartbeat timer.
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    const close = () => {
      closed = true;
      clearInterval(heartbeat);
      const leave = unsubscribe;
      unsubscribe = undefined;
      leave?.();
    };
    req.on('close', close);
    const order = await trackedOrder(deps, req);
    const lastEventId = req.header('last-event-id') ?? undefined;
    const sent = new Set<string>();
    let pending: TrackingEvent[] | undefined = [];
    const send = (event: TrackingEvent) => {
      if (sent.has(event.id)) return;
      sent.add(event.id);
      res.write(frame('order-event', event, event.id));
    };
    // Subscribed before the backlog is read: an event published meanwhile is in one or both, never neither.
    try {
      unsubscribe = await bus.subscribe(order.id, {
        onEvent: (event) => (pending ? pending.push(event) : send(event)),
        onEnd: () => res.end(),
      });
    } catch (error) {
      throw unavailable('the live feed is unavailable', error);
    }
    if (closed) {
      close();
      return;
    }
    try {
      const backlog = await orderBacklog(deps.ordersDb, deps.inventoryDb, order.id);
      startStream(res, options.reconnectMs);
      // Only once the headers are out: a heartbeat written during a slow backlog read would send them
      // without the event-stream type, which the browser's EventSource gives up on for good.
      if (!closed) heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs);
      res.write(
        frame('snapshot', {
          orderId: order.id,
          status: order.status,
          cancellationReason: order.cancellationReason,
          createdAt: order.createdAt.toISOString(),
        }),
      );
      const resumeAt = lastEventId === undefined ? -1 : backlog.findIndex((e) => e.id === lastEventId);
      backlog.forEach((event, index) => (index <= resumeAt ? sent.add(event.id) : send(event)));
      const buffered = pending;
      pending = undefined;
      buffered.forEach(send);
    } catch (error) {
      close();
      if (!res.headersSent) throw error;
      deps.logger.warn({ err: error, orderId: order.id }, 'tracking stream failed');
      res.end();
    }
  });

  return router;
}

function startStream(res: Response, reconnectMs: number): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  // nginx and similar proxies buffer responses unless told not to, which would hold events back.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write(`retry: ${reconnectMs}\n\n`);
}
