import type { Request } from 'express';
import type { Order } from '../../domain/orders/db';
import { tokenCanSeeOrder } from '../auth/middleware';
import type { ApiDependencies } from '../dependencies';
import { notFound } from '../errors';
import { orderIdSchema } from '../order-schemas';
import { parseOrThrow } from '../validation';
import { isTrackingTokenFor } from './tracking-token';

/**
 * The order a tracking request may read: with the order's tracking token (`?token=`), or a bearer
 * token that may see it (its customer, an operator). Anything else is a 404, exactly like an order
 * that does not exist, so a guessed id reveals nothing.
 */
export async function trackedOrder(deps: ApiDependencies, req: Request): Promise<Order> {
  const id = parseOrThrow(orderIdSchema, req.params.id ?? req.params.orderId, 'id');
  const order = await deps.ordersDb.order.findUnique({ where: { id } });
  const allowed =
    order !== null &&
    (isTrackingTokenFor(deps.config.TRACKING_TOKEN_SECRET, id, req.query.token) ||
      tokenCanSeeOrder(req, order.customerId));
  if (!order || !allowed) throw notFound(`order ${id} not found`);
  return order;
}
