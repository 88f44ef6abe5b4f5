/**
 * What a tracking client sees of one outbox event of an order: its id (the outbox row's, which is
 * also the Kafka message's `id` header, so the backlog and the live feed agree on it), its type and
 * time, and only the fields a customer's timeline needs: no amounts, addresses or other ids.
 */
export interface TrackingEvent {
  id: string;
  type: string;
  occurredAt: string;
  status?: string;
  reason?: string;
  carrier?: string;
  trackingNumber?: string;
}

const VISIBLE_FIELDS = ['status', 'reason', 'carrier', 'trackingNumber'] as const;

/** The order an outbox payload belongs to; manual holds carry their hold id here and match no order. */
export function payloadOrderId(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { orderId } = payload as { orderId?: unknown };
  return typeof orderId === 'string' ? orderId : undefined;
}

export function trackingEvent(id: string, type: string, occurredAt: string, payload: unknown): TrackingEvent {
  const event: TrackingEvent = { id, type, occurredAt };
  const fields = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  for (const name of VISIBLE_FIELDS) {
    const value = fields[name];
    if (typeof value === 'string' && value.length > 0) event[name] = value;
  }
  return event;
}
