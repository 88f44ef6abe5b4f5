/**
 * The committed payload schemas (events/schemas) against the vocabulary in domain/events.ts and
 * against the payloads the domain code really writes: every command that writes an outbox row
 * runs against the stack's Postgres, and each row it wrote must validate.
 */
import { randomUUID } from 'node:crypto';
import { CURRENT_SCHEMA_VERSION, EventType } from '../../domain/events';
import { createItem, deleteItem, updateItem } from '../../domain/inventory/catalog';
import { commitStock, releaseStock, reserveStock } from '../../domain/inventory/stock';
import { writePendingOrder } from '../support/orders';
import { recordOrderStatus, recordShipmentSlaBreach } from '../../domain/orders/order-store';
import { recordPayment } from '../../domain/orders/payment-store';
import { eventSchemaRegistry, loadSchemaFiles, validateEvent } from '../../events/registry';
import { closeTestDbs, createTestDbs, testRunId } from '../support/db';

const RUN = testRunId('evschema');
const dbs = createTestDbs(4);
const { ordersDb, inventoryDb } = dbs;
const ALL_TYPES: string[] = Object.values(EventType);

afterAll(() => closeTestDbs(dbs, RUN));

describe('committed event schemas', () => {
  it('has a schema for every event type at CURRENT_SCHEMA_VERSION', () => {
    const registry = eventSchemaRegistry();
    const missing = ALL_TYPES.filter((type) => !registry.has(type, CURRENT_SCHEMA_VERSION));
    expect(missing).toEqual([]);
  });

  it('has no schema for a type domain/events.ts does not know, nor a version ahead of it', () => {
    for (const file of loadSchemaFiles()) {
      expect(ALL_TYPES).toContain(file.type);
      expect(file.version).toBeLessThanOrEqual(CURRENT_SCHEMA_VERSION);
    }
  });

  it('declares draft 2020-12, an id naming type and version, and leaves objects open', () => {
    for (const file of loadSchemaFiles()) {
      expect(file.schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(file.schema.$id).toBe(`urn:trackops:event:${file.type}:v${file.version}`);
      // Every object in the file leaves room for fields a later version adds.
      const objects: Record<string, unknown>[] = [];
      const walk = (node: unknown) => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (typeof node === 'object' && node !== null) {
          const schema = node as Record<string, unknown>;
          if (schema.type === 'object') objects.push(schema);
          Object.values(schema).forEach(walk);
        }
      };
      walk(file.schema);
      expect(objects.length).toBeGreaterThan(0);
      for (const object of objects) expect(object.additionalProperties).not.toBe(false);
    }
  });
});

describe('payloads written by the domain code', () => {
  const productA = `${RUN}-a`;
  const productB = `${RUN}-b`;
  const customerId = `${RUN}-customer`;
  const aggregates = new Set<string>([productA, productB]);
  const newOrder = async (items: { productId: string; quantity: number }[]) => {
    const order = await writePendingOrder(
      { ordersDb, inventoryDb },
      {
        customerId,
        items,
        address: { streetAddress: '1 Schema Street', city: 'Validville', postalCode: '1234', country: 'NL' },
      },
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );
    aggregates.add(order.id);
    return order.id;
  };

  beforeAll(async () => {
    // Catalogue: created, updated (restock + price + description), and a third one deleted.
    await createItem(inventoryDb, {
      productId: productA,
      productName: 'Schema widget',
      category: 'tests',
      availableQuantity: 20,
      unitPrice: '12.5',
    });
    await createItem(inventoryDb, {
      productId: productB,
      productName: 'Schema gadget',
      availableQuantity: 3,
      unitPrice: '3.99',
    });
    await updateItem(inventoryDb, productA, {
      availableQuantity: 40,
      unitPrice: '13.00',
      description: 'now described',
    });
    const doomed = `${RUN}-doomed`;
    aggregates.add(doomed);
    await createItem(inventoryDb, {
      productId: doomed,
      productName: 'Short-lived',
      availableQuantity: 1,
      unitPrice: '1.00',
    });
    await deleteItem(inventoryDb, doomed);

    // An order through its happy path: created, stock held and sold, paid, fulfilled, SLA alert.
    const happy = await newOrder([
      { productId: productA, quantity: 2 },
      { productId: productB, quantity: 1 },
    ]);
    await reserveStock(inventoryDb, happy, [
      { productId: productA, quantity: 2 },
      { productId: productB, quantity: 1 },
    ]);
    const payment = { orderId: happy, idempotencyKey: `${RUN}-pay-1`, amount: '29.00', currency: 'USD' };
    await recordPayment(ordersDb, { ...payment, status: 'AUTHORIZED', providerReference: 'sim_schema_1' });
    await recordOrderStatus(ordersDb, { orderId: happy, status: 'CONFIRMED' });
    await recordShipmentSlaBreach(ordersDb, happy, '48h');
    await recordPayment(ordersDb, { ...payment, status: 'CAPTURED' });
    await commitStock(inventoryDb, happy);
    await recordOrderStatus(ordersDb, { orderId: happy, status: 'PROCESSING' });
    await recordOrderStatus(ordersDb, { orderId: happy, status: 'SHIPPED' });
    await recordOrderStatus(ordersDb, { orderId: happy, status: 'DELIVERED' });
    // ... then refunded, with its sold stock given back.
    await recordPayment(ordersDb, { ...payment, status: 'REFUNDED' });
    await releaseStock(inventoryDb, happy);

    // Declined and cancelled, with its held stock released.
    const declined = await newOrder([{ productId: productA, quantity: 1 }]);
    await reserveStock(inventoryDb, declined, [{ productId: productA, quantity: 1 }]);
    await recordPayment(ordersDb, {
      orderId: declined,
      idempotencyKey: `${RUN}-pay-2`,
      status: 'DECLINED',
      amount: '13.00',
      currency: 'USD',
    });
    await releaseStock(inventoryDb, declined);
    await recordOrderStatus(ordersDb, { orderId: declined, status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });

    // Authorized, then voided.
    const voided = await newOrder([{ productId: productB, quantity: 1 }]);
    const voidPayment = { orderId: voided, idempotencyKey: `${RUN}-pay-3`, amount: '3.99', currency: 'USD' };
    await recordPayment(ordersDb, {
      ...voidPayment,
      status: 'AUTHORIZED',
      providerReference: 'sim_schema_3',
    });
    await recordPayment(ordersDb, { ...voidPayment, status: 'VOIDED', providerReference: 'sim_schema_3' });

    // A refused reservation (not enough of B).
    const refused = randomUUID();
    aggregates.add(refused);
    await expect(reserveStock(inventoryDb, refused, [{ productId: productB, quantity: 99 }])).rejects.toThrow(
      /insufficient stock/,
    );

    // A manual hold that runs out.
    const hold = `manual-${randomUUID()}`;
    aggregates.add(hold);
    await reserveStock(inventoryDb, hold, [{ productId: productA, quantity: 3 }], {
      expiresAt: new Date(Date.now() + 1000),
    });
    await releaseStock(inventoryDb, hold, { expiredBy: new Date(Date.now() + 60_000) });
  });

  const rowsOf = async () => {
    const ids = [...aggregates];
    const [orders, inventory] = await Promise.all([
      ordersDb.outboxEvent.findMany({ where: { aggregateId: { in: ids } }, orderBy: { occurredAt: 'asc' } }),
      inventoryDb.outboxEvent.findMany({
        where: { aggregateId: { in: ids } },
        orderBy: { occurredAt: 'asc' },
      }),
    ]);
    return [...orders, ...inventory];
  };

  it('writes every event type at least once (the domain calls above cover the vocabulary)', async () => {
    const written = new Set((await rowsOf()).map((row) => row.type));
    // ORDER_SHIPMENT_EVENT is written by the carrier-events path, which this file does not drive.
    const expected = ALL_TYPES.filter((type) => type !== 'ORDER_SHIPMENT_EVENT');
    expect([...written].sort()).toEqual(expect.arrayContaining(expected.sort()));
  });

  it('writes payloads that validate against the schema of their type and schema_version', async () => {
    const rows = await rowsOf();
    expect(rows.length).toBeGreaterThan(20);
    const failures = rows
      .map((row) => ({ row, result: validateEvent(row.type, row.schemaVersion, row.payload) }))
      .filter(({ result }) => !result.valid)
      .map(({ row, result }) => ({ type: row.type, payload: row.payload, result }));
    expect(failures).toEqual([]);
    for (const row of rows) expect(row.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
  });
});

describe('validateEvent', () => {
  const created = {
    orderId: randomUUID(),
    customerId: 'c-1',
    status: 'PENDING',
    totalAmount: '25.00',
    currency: 'USD',
    items: [{ productId: 'p-1', quantity: 2, unitPrice: '12.50' }],
    version: 0,
  };

  it('accepts a valid payload, also with fields a later version may add', () => {
    expect(validateEvent('ORDER_CREATED', 1, created)).toEqual({ valid: true });
    expect(validateEvent('ORDER_CREATED', 1, { ...created, channel: 'web' })).toEqual({ valid: true });
  });

  it.each([
    [
      'a missing required field',
      { ...created, customerId: undefined },
      /must have required property 'customerId'/,
    ],
    ['money as a float', { ...created, totalAmount: 25 }, /\/totalAmount must be string/],
    ['money with one decimal', { ...created, totalAmount: '25.0' }, /\/totalAmount must match pattern/],
    ['a status outside the enum', { ...created, status: 'SHIPPED' }, /\/status must be equal to one of/],
    ['an order id that is no uuid', { ...created, orderId: 'order-1' }, /\/orderId must match format "uuid"/],
    [
      'a non-integer quantity',
      { ...created, items: [{ productId: 'p', quantity: 1.5, unitPrice: '1.00' }] },
      /quantity must be integer/,
    ],
    ['no items', { ...created, items: [] }, /\/items must NOT have fewer than 1 items/],
  ])('rejects %s', (_label, payload, message) => {
    const result = validateEvent('ORDER_CREATED', 1, JSON.parse(JSON.stringify(payload)));
    expect(result.valid).toBe(false);
    expect(result.valid ? '' : result.errors.join('\n')).toMatch(message);
  });

  it('rejects a payload that is not an object, and a type or version without a schema', () => {
    expect(validateEvent('ORDER_CREATED', 1, JSON.stringify(created)).valid).toBe(false);
    expect(validateEvent('ORDER_CREATED', 99, created)).toEqual({
      valid: false,
      errors: ['no schema for ORDER_CREATED v99'],
    });
    expect(validateEvent('NO_SUCH_EVENT', 1, created).valid).toBe(false);
  });

  it('accepts ORDER_SHIPMENT_EVENT as domain/orders/shipment-events.ts writes it', () => {
    // The carrier route drives it in the API tests; its payload shape, field for field:
    const report = {
      orderId: randomUUID(),
      customerId: 'c-1',
      shipmentEventId: randomUUID(),
      carrier: 'dhl',
      carrierEventId: 'scan-1',
      status: 'SHIPPED',
      trackingNumber: null,
      occurredAt: new Date().toISOString(),
    };
    expect(validateEvent('ORDER_SHIPMENT_EVENT', 1, report)).toEqual({ valid: true });
    expect(validateEvent('ORDER_SHIPMENT_EVENT', 1, { ...report, status: 'CANCELLED' }).valid).toBe(false);
  });

  it('checks nested shapes: a payment without previousStatus, an item update with a bad change', () => {
    const payment = {
      orderId: randomUUID(),
      status: 'CAPTURED',
      previousStatus: 'AUTHORIZED',
      amount: '10.00',
      currency: 'USD',
      providerReference: null,
    };
    expect(validateEvent('PAYMENT_CAPTURED', 1, payment)).toEqual({ valid: true });
    const { previousStatus: _dropped, ...withoutPrevious } = payment;
    expect(validateEvent('PAYMENT_CAPTURED', 1, withoutPrevious).valid).toBe(false);
    expect(validateEvent('PAYMENT_CAPTURED', 1, { ...payment, status: 'VOIDED' }).valid).toBe(false);

    const item = {
      productId: 'p-1',
      productName: 'Widget',
      description: null,
      category: null,
      availableQuantity: 5,
      reservedQuantity: 0,
      soldQuantity: 0,
      unitPrice: '2.00',
      minStockLevel: 10,
      maxStockLevel: 1000,
      reorderQuantity: 50,
      isLowStock: true,
      isOutOfStock: false,
      needsReordering: true,
      version: 1,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    const update = {
      productId: 'p-1',
      changedFields: ['unitPrice'],
      changes: { unitPrice: { from: '1.50', to: '2.00' } },
      previousVersion: 0,
      item,
    };
    expect(validateEvent('INVENTORY_ITEM_UPDATED', 1, update)).toEqual({ valid: true });
    const floatChange = { ...update, changes: { unitPrice: { from: 1.5, to: '2.00' } } };
    expect(validateEvent('INVENTORY_ITEM_UPDATED', 1, floatChange).valid).toBe(false);
    const unknownField = { ...update, changes: { colour: { from: 'red', to: 'blue' } } };
    expect(validateEvent('INVENTORY_ITEM_UPDATED', 1, unknownField).valid).toBe(false);
    const brokenItem = { ...update, item: { ...item, createdAt: 'yesterday' } };
    expect(validateEvent('INVENTORY_ITEM_UPDATED', 1, brokenItem).valid).toBe(false);
  });
});
