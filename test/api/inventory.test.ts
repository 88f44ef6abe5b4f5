/**
 * Inventory API against the real stack Postgres (`bin/trackops stack up postgres`). Every product
 * id and category carries this run's random prefix, so runs and other suites never collide; the
 * rows are removed again in afterAll.
 */
import { randomUUID } from 'node:crypto';
import { staffRequest as request } from '../support/auth';
import { createApp, MAX_BODY_BYTES } from '../../api/app';
import type { Page } from '../../api/pagination';
import {
  priceItems,
  type InventoryHealth,
  type InventoryItemView,
  type ReservationView,
  type StockAlert,
} from '../../domain/inventory/catalog';
import { manualHoldOwner } from '../../domain/inventory/manual-holds';
import { commitStock, expireReservations, releaseStock } from '../../domain/inventory/stock';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { inventoryOutbox, testRunId } from '../support/db';
import { closeStackClients, createStackClients, type ErrorBody } from '../support/orders-e2e';

const RUN = testRunId('invapi');
const CATEGORY = `cat-${RUN}`;
let seq = 0;
const newId = (label = 'p') => `${RUN}-${label}-${++seq}`;

// Read-your-writes on the database itself: some tests change stock outside the API (expiry) and
// read it back at once, before CDC could refresh a cached copy. test/cache covers the cache.
const config = loadConfig({ ...process.env, CACHE_ENABLED: 'false' });
const stack = createStackClients(5);
const { inventoryDb } = stack;
const app = createApp({ config, logger: createLogger('inventory-api-test', 'silent'), ...stack });

afterAll(() => closeStackClients(stack, RUN));

const itemBody = (overrides: Record<string, unknown> = {}) => ({
  productId: newId(),
  productName: 'Test widget',
  description: 'A widget for tests',
  availableQuantity: 50,
  unitPrice: '12.5',
  category: CATEGORY,
  minStockLevel: 5,
  maxStockLevel: 500,
  reorderQuantity: 25,
  ...overrides,
});

async function createItem(overrides: Record<string, unknown> = {}): Promise<InventoryItemView> {
  const response = await request(app).post('/api/inventory/items').send(itemBody(overrides)).expect(201);
  return response.body as InventoryItemView;
}

const inOneMinute = () => new Date(Date.now() + 60_000).toISOString();

/** Rows this run could have written: its items (by id prefix or category) and their outbox rows. */
async function footprint() {
  const [items, outbox, reservations] = await Promise.all([
    inventoryDb.inventoryItem.count({
      where: { OR: [{ productId: { startsWith: RUN } }, { category: { startsWith: CATEGORY } }] },
    }),
    inventoryDb.outboxEvent.count({ where: { aggregateId: { contains: RUN } } }),
    inventoryDb.inventoryReservation.count({
      where: { OR: [{ productId: { startsWith: RUN } }, { orderId: { contains: RUN } }] },
    }),
  ]);
  return { items, outbox, reservations };
}

const outboxFor = (aggregateId: string, type?: string) => inventoryOutbox(inventoryDb, aggregateId, type);

function expectFieldError(body: ErrorBody, field: string) {
  expect(body.status).toBe(400);
  expect(body.validationErrors?.map((e) => e.field)).toContain(field);
}

describe('items: create and read', () => {
  it('creates an item, stores the price exactly and returns the full view', async () => {
    const body = itemBody({ unitPrice: '12.5' });
    const response = await request(app).post('/api/inventory/items').send(body).expect(201);
    const item = response.body as InventoryItemView;
    expect(response.headers.location).toBe(`/api/inventory/items/${body.productId}`);
    expect(item).toMatchObject({
      productId: body.productId,
      productName: 'Test widget',
      description: 'A widget for tests',
      category: CATEGORY,
      availableQuantity: 50,
      reservedQuantity: 0,
      soldQuantity: 0,
      unitPrice: '12.50',
      minStockLevel: 5,
      maxStockLevel: 500,
      reorderQuantity: 25,
      isLowStock: false,
      isOutOfStock: false,
      needsReordering: false,
      version: 0,
    });
    expect(new Date(item.createdAt).toISOString()).toBe(item.createdAt);

    const fetched = await request(app).get(`/api/inventory/items/${body.productId}`).expect(200);
    expect(fetched.body).toEqual(item);

    const row = await inventoryDb.inventoryItem.findUniqueOrThrow({ where: { productId: body.productId } });
    expect(row.unitPrice.toFixed(2)).toBe('12.50');
  });

  it('accepts a JSON number price with two places without float drift', async () => {
    const item = await createItem({ unitPrice: 19.99 });
    expect(item.unitPrice).toBe('19.99');
    const cheap = await createItem({ unitPrice: '0.10' });
    expect(cheap.unitPrice).toBe('0.10');
    const big = await createItem({ unitPrice: '9999999999.99' });
    expect(big.unitPrice).toBe('9999999999.99');
  });

  it('applies defaults for optional fields', async () => {
    const productId = newId();
    const response = await request(app)
      .post('/api/inventory/items')
      .send({ productId, productName: 'Bare', availableQuantity: 3, unitPrice: 1 })
      .expect(201);
    expect(response.body).toMatchObject({
      productId,
      description: null,
      category: null,
      unitPrice: '1.00',
      minStockLevel: 10,
      maxStockLevel: 1000,
      reorderQuantity: 50,
      isLowStock: true,
      isOutOfStock: false,
      needsReordering: true,
    });
  });

  it('writes INVENTORY_ITEM_CREATED in the outbox', async () => {
    const item = await createItem({ unitPrice: '7' });
    const events = await outboxFor(item.productId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      aggregateType: 'inventory',
      aggregateId: item.productId,
      type: 'INVENTORY_ITEM_CREATED',
      schemaVersion: 1,
    });
    expect(events[0]?.payload).toMatchObject({ productId: item.productId, unitPrice: '7.00', version: 0 });
  });

  it('answers 404 for an unknown product and 400 for a malformed id', async () => {
    const missing = await request(app)
      .get(`/api/inventory/items/${newId('missing')}`)
      .expect(404);
    expect((missing.body as ErrorBody).status).toBe(404);
    const malformed = await request(app).get('/api/inventory/items/bad%20id!').expect(400);
    expectFieldError(malformed.body as ErrorBody, 'productId');
  });

  it('refuses a duplicate productId with 409 and changes nothing', async () => {
    const item = await createItem({ productName: 'Original' });
    const before = await footprint();
    const response = await request(app)
      .post('/api/inventory/items')
      .send(itemBody({ productId: item.productId, productName: 'Impostor', unitPrice: '99.99' }))
      .expect(409);
    expect((response.body as ErrorBody).message).toContain(item.productId);
    expect(await footprint()).toEqual(before);
    const fetched = await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);
    expect(fetched.body).toEqual(item);
    expect(await outboxFor(item.productId)).toHaveLength(1);
  });
});

describe('items: listing', () => {
  const category = `${CATEGORY}-list`;
  const created: InventoryItemView[] = [];

  beforeAll(async () => {
    for (const [name, quantity, price] of [
      ['Bravo', 30, '3.00'],
      ['Alpha', 10, '1.00'],
      ['Charlie', 20, '2.00'],
    ] as const) {
      created.push(
        await createItem({ productName: name, availableQuantity: quantity, unitPrice: price, category }),
      );
    }
  });

  it('pages with the Spring-style envelope, sorted and filtered by category', async () => {
    const first = await request(app)
      .get('/api/inventory/items')
      .query({ category, size: 2, page: 0, sort: 'availableQuantity,desc' })
      .expect(200);
    const page0 = first.body as Page<InventoryItemView>;
    expect(page0).toMatchObject({
      totalElements: 3,
      totalPages: 2,
      number: 0,
      size: 2,
      first: true,
      last: false,
    });
    expect(page0.content.map((i) => i.productName)).toEqual(['Bravo', 'Charlie']);

    const second = await request(app)
      .get('/api/inventory/items')
      .query({ category, size: 2, page: 1, sort: 'availableQuantity,desc' })
      .expect(200);
    const page1 = second.body as Page<InventoryItemView>;
    expect(page1).toMatchObject({ totalElements: 3, totalPages: 2, number: 1, first: false, last: true });
    expect(page1.content.map((i) => i.productName)).toEqual(['Alpha']);
  });

  it('sorts by name and by price', async () => {
    const byName = await request(app)
      .get('/api/inventory/items')
      .query({ category, sort: 'productName,asc' })
      .expect(200);
    expect((byName.body as Page<InventoryItemView>).content.map((i) => i.productName)).toEqual([
      'Alpha',
      'Bravo',
      'Charlie',
    ]);
    const byPrice = await request(app)
      .get('/api/inventory/items')
      .query({ category, sort: 'unitPrice,desc' })
      .expect(200);
    expect((byPrice.body as Page<InventoryItemView>).content.map((i) => i.unitPrice)).toEqual([
      '3.00',
      '2.00',
      '1.00',
    ]);
  });

  it('defaults to page 0, size 20, productId ascending', async () => {
    const response = await request(app).get('/api/inventory/items').query({ category }).expect(200);
    const page = response.body as Page<InventoryItemView>;
    expect(page).toMatchObject({ number: 0, size: 20, totalElements: 3, first: true, last: true });
    expect(page.content.map((i) => i.productId)).toEqual(created.map((i) => i.productId).sort());
  });

  it('rejects unknown sort fields and bad paging with 400', async () => {
    const sort = await request(app)
      .get('/api/inventory/items')
      .query({ sort: 'description,asc' })
      .expect(400);
    expectFieldError(sort.body as ErrorBody, 'sort');
    const size = await request(app).get('/api/inventory/items').query({ size: 0 }).expect(400);
    expectFieldError(size.body as ErrorBody, 'size');
    const page = await request(app).get('/api/inventory/items').query({ page: -1 }).expect(400);
    expectFieldError(page.body as ErrorBody, 'page');
  });
});

describe('items: validation writes nothing', () => {
  const cases: [string, () => Record<string, unknown>, string][] = [
    ['missing productName', () => omit(itemBody(), 'productName'), 'productName'],
    ['missing productId', () => omit(itemBody(), 'productId'), 'productId'],
    ['missing unitPrice', () => omit(itemBody(), 'unitPrice'), 'unitPrice'],
    ['missing availableQuantity', () => omit(itemBody(), 'availableQuantity'), 'availableQuantity'],
    ['quantity as a string', () => itemBody({ availableQuantity: '5' }), 'availableQuantity'],
    ['productName as a number', () => itemBody({ productName: 42 }), 'productName'],
    ['blank productName', () => itemBody({ productName: '   ' }), 'productName'],
    ['negative availableQuantity', () => itemBody({ availableQuantity: -1 }), 'availableQuantity'],
    ['fractional availableQuantity', () => itemBody({ availableQuantity: 1.5 }), 'availableQuantity'],
    ['negative minStockLevel', () => itemBody({ minStockLevel: -3 }), 'minStockLevel'],
    ['negative reorderQuantity', () => itemBody({ reorderQuantity: -1 }), 'reorderQuantity'],
    ['zero price', () => itemBody({ unitPrice: 0 }), 'unitPrice'],
    ['zero price string', () => itemBody({ unitPrice: '0.00' }), 'unitPrice'],
    ['negative price', () => itemBody({ unitPrice: -5 }), 'unitPrice'],
    ['negative price string', () => itemBody({ unitPrice: '-0.01' }), 'unitPrice'],
    ['three decimals', () => itemBody({ unitPrice: 1.999 }), 'unitPrice'],
    ['three decimals string', () => itemBody({ unitPrice: '1.999' }), 'unitPrice'],
    ['float noise', () => itemBody({ unitPrice: 0.1 + 0.2 }), 'unitPrice'],
    ['price not a number', () => itemBody({ unitPrice: 'cheap' }), 'unitPrice'],
    ['price as boolean', () => itemBody({ unitPrice: true }), 'unitPrice'],
    ['price too large', () => itemBody({ unitPrice: '12345678901' }), 'unitPrice'],
    ['unknown field', () => itemBody({ colour: 'red' }), 'colour'],
    ['reservedQuantity is not writable', () => itemBody({ reservedQuantity: 3 }), 'reservedQuantity'],
    ['productId with spaces', () => itemBody({ productId: `${RUN} bad id` }), 'productId'],
    ['productId too long', () => itemBody({ productId: `${RUN}-${'x'.repeat(64)}` }), 'productId'],
    ['min above max', () => itemBody({ minStockLevel: 50, maxStockLevel: 10 }), 'minStockLevel'],
    [
      'min above the default max',
      () => omit(itemBody({ minStockLevel: 5000 }), 'maxStockLevel'),
      'minStockLevel',
    ],
  ];

  it.each(cases)('%s → 400 naming the field, nothing written', async (_label, makeBody, field) => {
    const before = await footprint();
    const body = makeBody();
    const response = await request(app).post('/api/inventory/items').send(body).expect(400);
    const error = response.body as ErrorBody;
    expectFieldError(error, field);
    expect(error).toMatchObject({ error: 'Bad Request', path: '/api/inventory/items' });
    expect(await footprint()).toEqual(before);
    if (typeof body.productId === 'string') {
      expect(await inventoryDb.inventoryItem.count({ where: { productId: body.productId } })).toBe(0);
    }
  });

  it('reports each unknown field by name with its value', async () => {
    const response = await request(app)
      .post('/api/inventory/items')
      .send(itemBody({ colour: 'red', size: 'XL' }))
      .expect(400);
    const errors = (response.body as ErrorBody).validationErrors ?? [];
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'colour', rejectedValue: 'red', message: 'unknown field' },
        { field: 'size', rejectedValue: 'XL', message: 'unknown field' },
      ]),
    );
  });

  it('malformed JSON → 400 naming the body, nothing written', async () => {
    const before = await footprint();
    const response = await request(app)
      .post('/api/inventory/items')
      .set('content-type', 'application/json')
      .send(`{"productId": "${newId()}", "productName": `)
      .expect(400);
    expectFieldError(response.body as ErrorBody, 'body');
    expect(await footprint()).toEqual(before);
  });

  it('a body that is not an object → 400 naming the body', async () => {
    const before = await footprint();
    const response = await request(app).post('/api/inventory/items').send([itemBody()]).expect(400);
    expectFieldError(response.body as ErrorBody, 'body');
    expect(await footprint()).toEqual(before);
  });

  it('an oversized body (> 64 KiB) is refused by the body parser with 413, nothing written', async () => {
    const before = await footprint();
    const body = itemBody({ description: 'x'.repeat(MAX_BODY_BYTES + 1) });
    const response = await request(app).post('/api/inventory/items').send(body).expect(413);
    expect((response.body as ErrorBody).status).toBe(413);
    expect(await footprint()).toEqual(before);
  });
});

describe('items: update', () => {
  it('updates fields, bumps the version and writes INVENTORY_ITEM_UPDATED', async () => {
    const item = await createItem();
    const response = await request(app)
      .put(`/api/inventory/items/${item.productId}`)
      .send({ productName: 'Renamed', unitPrice: 13, version: item.version })
      .expect(200);
    expect(response.body).toMatchObject({
      productId: item.productId,
      productName: 'Renamed',
      unitPrice: '13.00',
      availableQuantity: item.availableQuantity,
      version: item.version + 1,
    });
    const updates = await outboxFor(item.productId, 'INVENTORY_ITEM_UPDATED');
    expect(updates).toHaveLength(1);
    expect(updates[0]?.payload).toMatchObject({
      productId: item.productId,
      changedFields: ['productName', 'unitPrice'],
      changes: { unitPrice: { from: '12.50', to: '13.00' } },
    });
    expect(await outboxFor(item.productId, 'INVENTORY_RESTOCKED')).toHaveLength(0);
  });

  it('raising availableQuantity also writes INVENTORY_RESTOCKED', async () => {
    const item = await createItem({ availableQuantity: 4 });
    const raised = await request(app)
      .put(`/api/inventory/items/${item.productId}`)
      .send({ availableQuantity: 40, version: item.version })
      .expect(200);
    const restocks = await outboxFor(item.productId, 'INVENTORY_RESTOCKED');
    expect(restocks).toHaveLength(1);
    expect(restocks[0]?.payload).toEqual({
      productId: item.productId,
      previousAvailable: 4,
      available: 40,
      added: 36,
    });
    // Lowering stock is an update, not a restock.
    await request(app)
      .put(`/api/inventory/items/${item.productId}`)
      .send({ availableQuantity: 30, version: (raised.body as { version: number }).version })
      .expect(200);
    expect(await outboxFor(item.productId, 'INVENTORY_RESTOCKED')).toHaveLength(1);
    expect(await outboxFor(item.productId, 'INVENTORY_ITEM_UPDATED')).toHaveLength(2);
  });

  it('a new availableQuantity without the version it was based on → 400 naming version, nothing changes', async () => {
    const item = await createItem({ availableQuantity: 4 });
    const refused = await request(app)
      .put(`/api/inventory/items/${item.productId}`)
      .send({ availableQuantity: 40 })
      .expect(400);
    expectFieldError(refused.body as ErrorBody, 'version');
    const after = await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);
    expect(after.body).toMatchObject({ availableQuantity: 4, version: item.version });
    expect(await outboxFor(item.productId, 'INVENTORY_RESTOCKED')).toHaveLength(0);
  });

  it('a stale version → 409 and nothing changes', async () => {
    const item = await createItem();
    await request(app)
      .put(`/api/inventory/items/${item.productId}`)
      .send({ productName: 'First writer', version: item.version })
      .expect(200);
    const before = await footprint();
    const response = await request(app)
      .put(`/api/inventory/items/${item.productId}`)
      .send({ productName: 'Second writer', version: item.version })
      .expect(409);
    expect((response.body as ErrorBody).message).toMatch(/version/);
    expect(await footprint()).toEqual(before);
    const fetched = await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);
    expect(fetched.body).toMatchObject({ productName: 'First writer', version: item.version + 1 });
  });

  it('two concurrent writers with the same version: exactly one wins', async () => {
    const item = await createItem();
    const responses = await Promise.all(
      ['A', 'B'].map((name) =>
        request(app)
          .put(`/api/inventory/items/${item.productId}`)
          .send({ productName: name, version: item.version }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await outboxFor(item.productId, 'INVENTORY_ITEM_UPDATED')).toHaveLength(1);
  });

  it('a change that changes nothing writes nothing', async () => {
    const item = await createItem();
    await request(app)
      .put(`/api/inventory/items/${item.productId}`)
      .send({ productName: item.productName, unitPrice: '12.50' })
      .expect(200);
    const fetched = await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);
    expect((fetched.body as InventoryItemView).version).toBe(item.version);
    expect(await outboxFor(item.productId, 'INVENTORY_ITEM_UPDATED')).toHaveLength(0);
  });

  it('clears optional text with null', async () => {
    const item = await createItem();
    const response = await request(app)
      .put(`/api/inventory/items/${item.productId}`)
      .send({ description: null })
      .expect(200);
    expect((response.body as InventoryItemView).description).toBeNull();
  });

  it('rejects bad updates with 400 and writes nothing', async () => {
    const item = await createItem({ minStockLevel: 5, maxStockLevel: 100 });
    const before = await footprint();
    const put = (body: unknown) =>
      request(app)
        .put(`/api/inventory/items/${item.productId}`)
        .send(body as object);
    expectFieldError((await put({ productId: 'other' }).expect(400)).body as ErrorBody, 'productId');
    expectFieldError((await put({}).expect(400)).body as ErrorBody, 'body');
    expectFieldError((await put({ version: 0 }).expect(400)).body as ErrorBody, 'body');
    expectFieldError((await put({ unitPrice: '1.001' }).expect(400)).body as ErrorBody, 'unitPrice');
    expectFieldError(
      (await put({ availableQuantity: -1 }).expect(400)).body as ErrorBody,
      'availableQuantity',
    );
    expectFieldError((await put({ version: 'one' }).expect(400)).body as ErrorBody, 'version');
    // Valid alone, but above the stored maxStockLevel.
    expectFieldError((await put({ minStockLevel: 101 }).expect(400)).body as ErrorBody, 'minStockLevel');
    expectFieldError((await put({ maxStockLevel: 4 }).expect(400)).body as ErrorBody, 'maxStockLevel');
    expect(await footprint()).toEqual(before);
    const fetched = await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);
    expect(fetched.body).toEqual(item);
  });

  it('answers 404 for an unknown product', async () => {
    await request(app)
      .put(`/api/inventory/items/${newId('missing')}`)
      .send({ productName: 'x' })
      .expect(404);
  });
});

describe('items: delete', () => {
  it('deletes an unreferenced item with 204 and writes INVENTORY_ITEM_DELETED', async () => {
    const item = await createItem();
    await request(app).delete(`/api/inventory/items/${item.productId}`).expect(204);
    await request(app).get(`/api/inventory/items/${item.productId}`).expect(404);
    const deleted = await outboxFor(item.productId, 'INVENTORY_ITEM_DELETED');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]?.payload).toMatchObject({ productId: item.productId, purgedReservations: 0 });
  });

  it('refuses with 409 while an active hold references the item; allows it once released', async () => {
    const item = await createItem({ availableQuantity: 10 });
    const hold = await request(app)
      .post('/api/inventory/reservations')
      .send({ productId: item.productId, quantity: 2, expiresAt: inOneMinute() })
      .expect(201);
    const { orderId } = hold.body as ReservationView;

    const before = await footprint();
    const refused = await request(app).delete(`/api/inventory/items/${item.productId}`).expect(409);
    expect((refused.body as ErrorBody).message).toMatch(/reservation/);
    expect(await footprint()).toEqual(before);
    await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);

    expect(await releaseStock(inventoryDb, orderId)).toBe(1);
    await request(app).delete(`/api/inventory/items/${item.productId}`).expect(204);
    const deleted = await outboxFor(item.productId, 'INVENTORY_ITEM_DELETED');
    expect(deleted[0]?.payload).toMatchObject({ purgedReservations: 1 });
    expect(await inventoryDb.inventoryReservation.count({ where: { productId: item.productId } })).toBe(0);
  });

  it('refuses with 409 while committed (sold) stock references the item', async () => {
    const item = await createItem({ availableQuantity: 10 });
    const holdKey = `${RUN}-order-sold`;
    await request(app)
      .post('/api/inventory/reservations')
      .send({ productId: item.productId, quantity: 1, holdKey, expiresAt: inOneMinute() })
      .expect(201);
    expect(await commitStock(inventoryDb, manualHoldOwner(holdKey))).toBe(1);
    await request(app).delete(`/api/inventory/items/${item.productId}`).expect(409);
  });

  it('answers 404 for an unknown product', async () => {
    await request(app)
      .delete(`/api/inventory/items/${newId('missing')}`)
      .expect(404);
  });
});

describe('reservations', () => {
  it('a manual hold moves stock from available to reserved; expiry gives it back', async () => {
    const item = await createItem({ availableQuantity: 20 });
    const expiresAt = inOneMinute();
    const response = await request(app)
      .post('/api/inventory/reservations')
      .send({ productId: item.productId, quantity: 7, expiresAt })
      .expect(201);
    const hold = response.body as ReservationView;
    expect(hold).toMatchObject({
      productId: item.productId,
      quantity: 7,
      status: 'ACTIVE',
      expiresAt: new Date(expiresAt).toISOString(),
    });
    expect(hold.orderId).toMatch(/^manual-[0-9a-f-]{36}$/);
    expect(response.headers.location).toBe(`/api/inventory/reservations/${hold.id}`);

    const held = (await request(app).get(`/api/inventory/items/${item.productId}`).expect(200))
      .body as InventoryItemView;
    expect(held).toMatchObject({ availableQuantity: 13, reservedQuantity: 7, version: item.version + 1 });
    expect(await outboxFor(hold.orderId, 'INVENTORY_RESERVED')).toHaveLength(1);

    const byOrder = await request(app)
      .get('/api/inventory/reservations')
      .query({ orderId: hold.orderId })
      .expect(200);
    expect(byOrder.body).toMatchObject({ totalElements: 1, content: [{ id: hold.id, status: 'ACTIVE' }] });
    await request(app).get(`/api/inventory/reservations/${hold.id}`).expect(200);

    // Just past this hold's expiry; holds of other suites that are due by then would expire too.
    const expired = await expireReservations(inventoryDb, new Date(Date.now() + 2 * 60_000));
    expect(expired).toContain(hold.orderId);

    const restored = (await request(app).get(`/api/inventory/items/${item.productId}`).expect(200))
      .body as InventoryItemView;
    expect(restored).toMatchObject({ availableQuantity: 20, reservedQuantity: 0 });
    const after = await request(app).get(`/api/inventory/reservations/${hold.id}`).expect(200);
    expect((after.body as ReservationView).status).toBe('EXPIRED');
    const byStatus = await request(app)
      .get('/api/inventory/reservations')
      .query({ orderId: hold.orderId, status: 'EXPIRED' })
      .expect(200);
    expect((byStatus.body as Page<ReservationView>).totalElements).toBe(1);
    const active = await request(app)
      .get('/api/inventory/reservations')
      .query({ orderId: hold.orderId, status: 'ACTIVE' })
      .expect(200);
    expect((active.body as Page<ReservationView>).totalElements).toBe(0);
  });

  it('insufficient stock → 409, nothing written', async () => {
    const item = await createItem({ availableQuantity: 3 });
    const holdKey = `${RUN}-order-short`;
    const before = await footprint();
    await request(app)
      .post('/api/inventory/reservations')
      .send({ productId: item.productId, quantity: 4, holdKey, expiresAt: inOneMinute() })
      .expect(409);
    expect(await footprint()).toEqual(before);
    expect(await outboxFor(manualHoldOwner(holdKey))).toHaveLength(0);
    const fetched = await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);
    expect(fetched.body).toMatchObject({ availableQuantity: 3, reservedQuantity: 0, version: item.version });
  });

  it('an explicit holdKey is idempotent; reusing it for a different hold → 409', async () => {
    const item = await createItem({ availableQuantity: 10 });
    const other = await createItem({ availableQuantity: 10 });
    const holdKey = `${RUN}-order-idem`;
    const hold = { productId: item.productId, quantity: 2, holdKey, expiresAt: inOneMinute() };
    const first = await request(app).post('/api/inventory/reservations').send(hold).expect(201);
    const again = await request(app).post('/api/inventory/reservations').send(hold).expect(200);
    expect((again.body as ReservationView).id).toBe((first.body as ReservationView).id);
    await request(app)
      .post('/api/inventory/reservations')
      .send({ ...hold, productId: other.productId })
      .expect(409);
    const fetched = await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);
    expect(fetched.body).toMatchObject({ availableQuantity: 8, reservedQuantity: 2 });
    const untouched = await request(app).get(`/api/inventory/items/${other.productId}`).expect(200);
    expect(untouched.body).toMatchObject({ availableQuantity: 10, reservedQuantity: 0 });
    await releaseStock(inventoryDb, manualHoldOwner(holdKey));
  });

  it("never takes an order's id: orderId is refused, and a key equal to an order id is not that order's", async () => {
    const item = await createItem({ availableQuantity: 10 });
    const orderId = randomUUID();
    const refused = await request(app)
      .post('/api/inventory/reservations')
      .send({ productId: item.productId, quantity: 1, orderId, expiresAt: inOneMinute() })
      .expect(400);
    expectFieldError(refused.body as ErrorBody, 'orderId');
    const hold = await request(app)
      .post('/api/inventory/reservations')
      .send({ productId: item.productId, quantity: 2, holdKey: orderId, expiresAt: inOneMinute() })
      .expect(201);
    expect((hold.body as ReservationView).orderId).toBe(`manual-${orderId}`);
    // The order's saga committing or releasing its own stock does not touch the hold.
    expect(await commitStock(inventoryDb, orderId)).toBe(0);
    expect(await releaseStock(inventoryDb, orderId)).toBe(0);
    const fetched = await request(app).get(`/api/inventory/items/${item.productId}`).expect(200);
    expect(fetched.body).toMatchObject({ availableQuantity: 8, reservedQuantity: 2 });
    expect(await releaseStock(inventoryDb, manualHoldOwner(orderId))).toBe(1);
  });

  it('rejects bad holds with 400 naming the field, nothing written', async () => {
    const item = await createItem({ availableQuantity: 10 });
    const valid = { productId: item.productId, quantity: 1, expiresAt: inOneMinute() };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, productId: newId('missing') }, 'productId'],
      [{ ...valid, quantity: 0 }, 'quantity'],
      [{ ...valid, quantity: -2 }, 'quantity'],
      [{ ...valid, quantity: '1' }, 'quantity'],
      [omit(valid, 'expiresAt'), 'expiresAt'],
      [{ ...valid, expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ ...valid, expiresAt: new Date(Date.now() - 1000).toISOString() }, 'expiresAt'],
      [{ ...valid, expiresAt: new Date(Date.now() + 31 * 86_400_000).toISOString() }, 'expiresAt'],
      [{ ...valid, holdKey: 'has spaces' }, 'holdKey'],
      [{ ...valid, orderId: 'an-order' }, 'orderId'],
      [{ ...valid, note: 'hi' }, 'note'],
    ];
    const before = await footprint();
    for (const [body, field] of cases) {
      const response = await request(app).post('/api/inventory/reservations').send(body);
      expect([response.status, field]).toEqual([400, field]);
      expectFieldError(response.body as ErrorBody, field);
    }
    expect(await footprint()).toEqual(before);
  });

  it('validates reservation filters and ids', async () => {
    const status = await request(app)
      .get('/api/inventory/reservations')
      .query({ status: 'BOGUS' })
      .expect(400);
    expectFieldError(status.body as ErrorBody, 'status');
    const sort = await request(app)
      .get('/api/inventory/reservations')
      .query({ sort: 'quantity' })
      .expect(400);
    expectFieldError(sort.body as ErrorBody, 'sort');
    await request(app).get('/api/inventory/reservations/not-a-uuid').expect(400);
    await request(app).get('/api/inventory/reservations/00000000-0000-4000-8000-000000000000').expect(404);
  });
});

describe('health and pricing', () => {
  it('summarises a category exactly and the whole catalogue at least as much', async () => {
    const category = `${CATEGORY}-health`;
    const empty = await createItem({ category, availableQuantity: 0, minStockLevel: 10 });
    const lowNoReorder = await createItem({
      category,
      availableQuantity: 5,
      minStockLevel: 10,
      reorderQuantity: 0,
    });
    const healthy = await createItem({ category, availableQuantity: 100, minStockLevel: 10 });
    const atMinimum = await createItem({ category, availableQuantity: 10, minStockLevel: 10 });

    const holdKey = `${RUN}-order-health`;
    await request(app)
      .post('/api/inventory/reservations')
      .send({ productId: healthy.productId, quantity: 6, holdKey, expiresAt: inOneMinute() })
      .expect(201);
    await commitStock(inventoryDb, manualHoldOwner(holdKey));
    await request(app)
      .post('/api/inventory/reservations')
      .send({ productId: healthy.productId, quantity: 3, expiresAt: inOneMinute() })
      .expect(201);

    expect(lowNoReorder).toMatchObject({ isLowStock: true, isOutOfStock: false, needsReordering: false });
    expect(empty).toMatchObject({ isLowStock: true, isOutOfStock: true, needsReordering: true });
    expect(atMinimum).toMatchObject({ isLowStock: true, needsReordering: true });

    const scoped = (await request(app).get('/api/inventory/health').query({ category }).expect(200))
      .body as InventoryHealth;
    expect(scoped).toMatchObject({
      category,
      totalItems: 4,
      totalAvailable: 0 + 5 + (100 - 6 - 3) + 10,
      totalReserved: 3,
      totalSold: 6,
      lowStockCount: 3,
      outOfStockCount: 1,
      needsReorderingCount: 2,
    });
    const ids = (alerts: StockAlert[]) => alerts.map((a) => a.productId);
    expect(ids(scoped.outOfStockItems)).toEqual([empty.productId]);
    // Scarcest first.
    expect(ids(scoped.lowStockItems)).toEqual([empty.productId, lowNoReorder.productId, atMinimum.productId]);
    expect(ids(scoped.needsReorderingItems)).toEqual([empty.productId, atMinimum.productId]);

    const global = (await request(app).get('/api/inventory/health').expect(200)).body as InventoryHealth;
    expect(global.category).toBeNull();
    expect(global.totalItems).toBeGreaterThanOrEqual(scoped.totalItems);
    expect(global.totalAvailable).toBeGreaterThanOrEqual(scoped.totalAvailable);
    expect(global.totalReserved).toBeGreaterThanOrEqual(scoped.totalReserved);
    expect(global.totalSold).toBeGreaterThanOrEqual(scoped.totalSold);
    expect(global.lowStockCount).toBeGreaterThanOrEqual(scoped.lowStockCount);
    expect(global.outOfStockCount).toBeGreaterThanOrEqual(scoped.outOfStockCount);
    expect(global.needsReorderingCount).toBeGreaterThanOrEqual(scoped.needsReorderingCount);
  });

  it('priceItems returns names and two-place prices and lists unknown ids', async () => {
    const a = await createItem({ productName: 'Priced A', unitPrice: '4.5' });
    const b = await createItem({ productName: 'Priced B', unitPrice: 10 });
    const missing = newId('missing');
    const { prices, unknown } = await priceItems(inventoryDb, [
      a.productId,
      b.productId,
      missing,
      a.productId,
    ]);
    expect(Object.fromEntries(prices)).toEqual({
      [a.productId]: { productName: 'Priced A', unitPrice: '4.50' },
      [b.productId]: { productName: 'Priced B', unitPrice: '10.00' },
    });
    expect(unknown).toEqual([missing]);
  });
});

function omit(body: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...body };
  delete copy[key];
  return copy;
}
