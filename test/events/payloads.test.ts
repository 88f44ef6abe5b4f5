/**
 * The TypeScript payload definitions (events/payloads.ts) against the committed schemas: one full
 * example per event type, typed by its definition (so it compiles only if it fits the type, with
 * every optional field filled in), must validate against its schema and name exactly the schema's
 * top-level properties. And parseEventPayload, the consumers' way in, returns a valid payload and
 * refuses an invalid one with an error that names the field.
 */
import { randomUUID } from 'node:crypto';
import { CURRENT_SCHEMA_VERSION, EventType } from '../../domain/events';
import type { EventPayloads, InventoryItemPayload } from '../../events/payloads';
import {
  EventPayloadError,
  eventSchemaRegistry,
  parseEventPayload,
  validateEvent,
  type JsonSchema,
} from '../../events/registry';

const orderId = randomUUID();
const at = '2026-01-02T03:04:05.000Z';
const statusChange = { orderId, customerId: 'c-1', version: 2, reason: 'CUSTOMER_REQUEST' } as const;
const payment = { orderId, amount: '12.50', currency: 'EUR', providerReference: 'sim_1' };
const item: InventoryItemPayload = {
  productId: 'p-1',
  productName: 'Widget',
  description: null,
  category: 'tools',
  availableQuantity: 5,
  reservedQuantity: 1,
  soldQuantity: 2,
  unitPrice: '2.00',
  minStockLevel: 10,
  maxStockLevel: 1000,
  reorderQuantity: 50,
  isLowStock: true,
  isOutOfStock: false,
  needsReordering: true,
  version: 3,
  createdAt: at,
  updatedAt: at,
};
const lines = [{ productId: 'p-1', quantity: 2 }];

const examples: { [T in EventType]: EventPayloads[T] } = {
  ORDER_CREATED: {
    orderId,
    customerId: 'c-1',
    status: 'PENDING',
    totalAmount: '25.00',
    currency: 'USD',
    items: [{ productId: 'p-1', quantity: 2, unitPrice: '12.50' }],
    version: 0,
  },
  ORDER_CONFIRMED: { ...statusChange, previousStatus: 'PENDING', status: 'CONFIRMED' },
  ORDER_STATUS_UPDATED: { ...statusChange, previousStatus: 'CONFIRMED', status: 'SHIPPED' },
  ORDER_CANCELLED: { ...statusChange, previousStatus: 'PENDING', status: 'CANCELLED' },
  ORDER_DELIVERED: { ...statusChange, previousStatus: 'SHIPPED', status: 'DELIVERED' },
  ORDER_SHIPMENT_SLA_BREACHED: { orderId, customerId: 'c-1', status: 'CONFIRMED', sla: '48h' },
  ORDER_SHIPMENT_EVENT: {
    orderId,
    customerId: 'c-1',
    shipmentEventId: randomUUID(),
    carrier: 'dhl',
    carrierEventId: 'scan-1',
    status: 'DELIVERED',
    trackingNumber: 'JJD0001',
    occurredAt: at,
  },
  INVENTORY_RESERVED: { orderId, reservationIds: [randomUUID()], items: lines, expiresAt: at },
  INVENTORY_RESERVATION_FAILED: {
    orderId,
    productId: 'p-1',
    reason: 'InsufficientStockError',
    items: lines,
  },
  INVENTORY_COMMITTED: { orderId, items: lines },
  INVENTORY_RELEASED: { orderId, items: [{ productId: 'p-1', quantity: 2, from: 'COMMITTED' }] },
  INVENTORY_RESTOCKED: { productId: 'p-1', previousAvailable: 0, available: 5, added: 5 },
  INVENTORY_ITEM_CREATED: item,
  INVENTORY_ITEM_UPDATED: {
    productId: 'p-1',
    changedFields: ['unitPrice', 'description'],
    changes: { unitPrice: { from: '1.50', to: '2.00' }, description: { from: null, to: 'new' } },
    previousVersion: 2,
    item,
  },
  INVENTORY_ITEM_DELETED: {
    productId: 'p-1',
    productName: 'Widget',
    version: 4,
    availableQuantity: 5,
    purgedReservations: 1,
  },
  INVENTORY_RESERVATION_EXPIRED: {
    orderId: `manual-${randomUUID()}`,
    items: [{ productId: 'p-1', quantity: 1, from: 'ACTIVE' }],
  },
  PAYMENT_AUTHORIZED: { ...payment, status: 'AUTHORIZED', previousStatus: null },
  PAYMENT_DECLINED: { ...payment, status: 'DECLINED', previousStatus: null },
  PAYMENT_CAPTURED: { ...payment, status: 'CAPTURED', previousStatus: 'AUTHORIZED' },
  PAYMENT_VOIDED: { ...payment, status: 'VOIDED', previousStatus: 'AUTHORIZED' },
  PAYMENT_REFUNDED: { ...payment, status: 'REFUNDED', previousStatus: 'CAPTURED' },
};

/** The top-level property names a schema declares (following a root `$ref` into `$defs`). */
function propertyNames(schema: JsonSchema): string[] {
  const ref = schema.$ref;
  const root =
    typeof ref === 'string' && ref.startsWith('#/$defs/')
      ? ((schema.$defs as Record<string, JsonSchema>)[ref.slice('#/$defs/'.length)] as JsonSchema)
      : schema;
  return Object.keys(root.properties as Record<string, unknown>).sort();
}

describe('events/payloads.ts against the committed schemas', () => {
  it.each(Object.values(EventType))('%s: the definition and the schema agree', (type) => {
    const example = examples[type];
    expect(validateEvent(type, CURRENT_SCHEMA_VERSION, example)).toEqual({ valid: true });
    const schema = eventSchemaRegistry().schema(type, CURRENT_SCHEMA_VERSION)!;
    expect(Object.keys(example).sort()).toEqual(propertyNames(schema));
  });
});

describe('parseEventPayload', () => {
  it('returns a valid payload as its type, also one carrying a field a later version may add', () => {
    const restock = { ...examples.INVENTORY_RESTOCKED, warehouse: 'north' };
    const parsed = parseEventPayload(EventType.InventoryRestocked, 1, restock);
    expect(parsed.productId).toBe('p-1');
    expect(parsed).toEqual(restock);
  });

  it('refuses an invalid payload with an error naming each offending field', () => {
    const { customerId: _dropped, ...withoutCustomer } = examples.ORDER_SHIPMENT_EVENT;
    const invalid = { ...withoutCustomer, orderId: 'order-1', status: 'LOST' };
    let caught: unknown;
    try {
      parseEventPayload(EventType.OrderShipmentEvent, 1, invalid);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EventPayloadError);
    const error = caught as EventPayloadError;
    expect(error.message).toMatch(/^ORDER_SHIPMENT_EVENT v1 payload does not match its schema: /);
    expect(error.errors).toEqual(
      expect.arrayContaining([
        "(payload) must have required property 'customerId'",
        '/orderId must match format "uuid"',
        expect.stringMatching(/^\/status must be equal to one of the allowed values/),
      ]),
    );
  });

  it('refuses a version without a schema, and a payload that is not an object', () => {
    expect(() => parseEventPayload(EventType.InventoryRestocked, 99, examples.INVENTORY_RESTOCKED)).toThrow(
      'no schema for INVENTORY_RESTOCKED v99',
    );
    expect(() => parseEventPayload(EventType.InventoryRestocked, 1, 'p-1')).toThrow(
      /\(payload\) must be object/,
    );
  });
});
