import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  createOrderSchema,
  idempotencyKeySchema,
  orderIdSchema,
  orderListFilterSchema,
  statusChangeSchema,
} from '../order-schemas';
import { pageQuerySchema } from '../pagination';
import { ORDER_SORT_FIELDS } from '../routes/orders';
import { bearer, errors, json, jsonBody, pageOf } from './common';
import {
  cancellationSchema,
  orderItemSchema,
  orderSchema,
  sagaStateSchema,
  trackedOrderSchema,
} from './order-responses';

const TAG = 'orders';
const orderPath = z.object({ id: orderIdSchema });
const readers = bearer('customer', 'operator');
const order = orderSchema.meta({ id: 'Order' });
const trackedOrder = trackedOrderSchema.meta({ id: 'TrackedOrder' });
const saga = sagaStateSchema.meta({ id: 'SagaState' });

export function registerOrderPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/api/orders',
    operationId: 'createOrder',
    tags: [TAG],
    summary: 'Place an order',
    description:
      'Prices the order from inventory and starts its saga; the answer is the stored order. ' +
      '**Clients should send an `Idempotency-Key` header** (a new unique value per order, the same value ' +
      'on every retry of that order): a retry then answers with the same order (`Idempotent-Replayed: true`) ' +
      'instead of placing a second one, and a different request with the same key is a 409. ' +
      "A customer's order is always for the customer named by the token, whatever `customerId` says.",
    security: readers,
    request: {
      headers: z.object({
        'Idempotency-Key': idempotencyKeySchema
          .optional()
          .describe('Sent by clients on every order: a retry with the same key returns the same order.'),
      }),
      body: jsonBody(createOrderSchema),
    },
    responses: {
      201: {
        ...json('The order, stored, with its tracking token; also the answer to a retry.', trackedOrder),
        headers: {
          Location: { description: 'The order', schema: { type: 'string' } },
          'Idempotent-Replayed': {
            description: '`true` when an earlier request with this Idempotency-Key placed the order',
            schema: { type: 'string', enum: ['true'] },
          },
        },
      },
      ...errors([400, 401, 403, 409, 413, 503], {
        409: 'The Idempotency-Key was used by a different request.',
        503: 'The order could not be stored in time; retry with the same Idempotency-Key.',
      }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/orders',
    operationId: 'listOrders',
    tags: [TAG],
    summary: 'List orders, a page at a time',
    description: "A customer sees only their own orders (the token's customer, whatever `customerId` says).",
    security: readers,
    request: {
      query: pageQuerySchema(ORDER_SORT_FIELDS, 'createdAt,desc').extend(orderListFilterSchema.shape),
    },
    responses: { 200: json('A page of orders.', pageOf(order)), ...errors([400, 401, 403, 503]) },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/orders/{id}',
    operationId: 'getOrder',
    tags: [TAG],
    summary: 'One order with its items',
    security: readers,
    request: { params: orderPath },
    responses: {
      200: json(
        'The order, with its tracking token (its customer may always fetch the link again).',
        trackedOrder,
      ),
      ...errors([400, 401, 403, 404, 503]),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/orders/{id}/items',
    operationId: 'getOrderItems',
    tags: [TAG],
    summary: "The order's lines",
    security: readers,
    request: { params: orderPath },
    responses: { 200: json('The lines.', z.array(orderItemSchema)), ...errors([400, 401, 403, 404, 503]) },
  });

  registry.registerPath({
    method: 'put',
    path: '/api/orders/{id}/status',
    operationId: 'changeOrderStatus',
    tags: [TAG],
    summary: 'Move a confirmed order on (processing, shipped, delivered)',
    security: bearer('operator'),
    request: { params: orderPath, body: jsonBody(statusChangeSchema) },
    responses: {
      200: json('The order after the change.', order),
      ...errors([400, 401, 403, 404, 409, 413, 503], {
        409: 'The move is not allowed from the current status.',
      }),
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/api/orders/{id}',
    operationId: 'cancelOrder',
    tags: [TAG],
    summary: 'Cancel an order before it ships',
    description: 'The saga compensates in reverse (stock released, payment voided or refunded).',
    security: readers,
    request: { params: orderPath },
    responses: {
      202: json('Cancellation requested (or the order was already cancelled).', cancellationSchema),
      ...errors([400, 401, 403, 404, 409, 503], {
        409: 'The order has shipped and can no longer be cancelled.',
      }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/orders/{id}/saga',
    operationId: 'getOrderSaga',
    tags: [TAG],
    summary: "The saga's step, timeline and compensations",
    security: readers,
    request: { params: orderPath },
    responses: {
      200: json("The saga's state.", saga),
      ...errors([400, 401, 403, 404, 503], { 404: 'No such order, or its saga is no longer kept.' }),
    },
  });
}
