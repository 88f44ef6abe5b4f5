import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ITEM_SORT_FIELDS, RESERVATION_SORT_FIELDS } from '../../domain/inventory/queries';
import {
  categoryFilterSchema,
  createItemSchema,
  createReservationSchema,
  productIdSchema,
  reservationFilterSchema,
  reservationIdSchema,
  updateItemSchema,
} from '../inventory-schemas';
import { pageQuerySchema } from '../pagination';
import { bearer, errors, json, jsonBody, pageOf } from './common';
import { inventoryHealthSchema, inventoryItemSchema, reservationSchema } from './inventory-responses';

const TAG = 'inventory';
const itemPath = z.object({ productId: productIdSchema });
const catalogueReaders = bearer('customer', 'operator', 'carrier');
const staff = bearer('operator');
const item = inventoryItemSchema.meta({ id: 'InventoryItem' });
const reservation = reservationSchema.meta({ id: 'Reservation' });
const location = { Location: { description: 'The created resource', schema: { type: 'string' as const } } };

export function registerInventoryPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/api/inventory/items',
    operationId: 'createInventoryItem',
    tags: [TAG],
    summary: 'Add an item to the catalogue',
    security: staff,
    request: { body: jsonBody(createItemSchema) },
    responses: {
      201: { ...json('The item.', item), headers: location },
      ...errors([400, 401, 403, 409, 413, 503], { 409: 'An item with this productId exists.' }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/inventory/items',
    operationId: 'listInventoryItems',
    tags: [TAG],
    summary: 'The catalogue, a page at a time',
    security: catalogueReaders,
    request: { query: pageQuerySchema(ITEM_SORT_FIELDS, 'productId,asc').extend(categoryFilterSchema.shape) },
    responses: { 200: json('A page of items.', pageOf(item)), ...errors([400, 401, 403, 503]) },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/inventory/items/{productId}',
    operationId: 'getInventoryItem',
    tags: [TAG],
    summary: 'One item',
    security: catalogueReaders,
    request: { params: itemPath },
    responses: { 200: json('The item.', item), ...errors([400, 401, 403, 404, 503]) },
  });

  registry.registerPath({
    method: 'put',
    path: '/api/inventory/items/{productId}',
    operationId: 'updateInventoryItem',
    tags: [TAG],
    summary: 'Change an item',
    description:
      'A body that sets `availableQuantity` must carry the `version` of the item it was based on ' +
      '(400 without, 409 when the item has changed since), so a stale read cannot create or destroy stock.',
    security: staff,
    request: { params: itemPath, body: jsonBody(updateItemSchema) },
    responses: {
      200: json('The item after the change.', item),
      ...errors([400, 401, 403, 404, 409, 413, 503], {
        409: 'The item changed since `version`, or the change conflicts with reserved stock.',
      }),
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/api/inventory/items/{productId}',
    operationId: 'deleteInventoryItem',
    tags: [TAG],
    summary: 'Remove an item from the catalogue',
    security: staff,
    request: { params: itemPath },
    responses: {
      204: { description: 'Removed.' },
      ...errors([400, 401, 403, 404, 409, 503], { 409: 'The item has active reservations.' }),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/inventory/reservations',
    operationId: 'createManualHold',
    tags: [TAG],
    summary: 'Hold stock by hand until a time (released by a schedule when it expires)',
    security: staff,
    request: { body: jsonBody(createReservationSchema) },
    responses: {
      200: json('The same hold was placed before: the stored hold, nothing written.', reservation),
      201: { ...json('The hold.', reservation), headers: location },
      ...errors([400, 401, 403, 409, 413, 503], {
        409: 'Not enough free stock, or the hold id is taken by a different hold.',
      }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/inventory/reservations',
    operationId: 'listReservations',
    tags: [TAG],
    summary: 'Reservations and holds, a page at a time',
    security: staff,
    request: {
      query: pageQuerySchema(RESERVATION_SORT_FIELDS, 'createdAt,desc').extend(reservationFilterSchema.shape),
    },
    responses: { 200: json('A page of reservations.', pageOf(reservation)), ...errors([400, 401, 403, 503]) },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/inventory/reservations/{id}',
    operationId: 'getReservation',
    tags: [TAG],
    summary: 'One reservation',
    security: staff,
    request: { params: z.object({ id: reservationIdSchema }) },
    responses: { 200: json('The reservation.', reservation), ...errors([400, 401, 403, 404, 503]) },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/inventory/health',
    operationId: 'getInventoryHealth',
    tags: [TAG],
    summary: 'Stock totals and the low, out-of-stock and reorder lists',
    security: staff,
    request: { query: categoryFilterSchema },
    responses: { 200: json('The summary.', inventoryHealthSchema), ...errors([400, 401, 403, 503]) },
  });
}
