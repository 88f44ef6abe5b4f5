import { fetchJson } from './order-client';

/** The product every bench order buys; created on first use, kept between runs. */
export const BENCH_PRODUCT_ID = 'BENCH-SAGA-ITEM';

/** Topped up to this whenever it is below `minimum`, so a run never meets OUT_OF_STOCK. */
const STOCK_TARGET = 1_000_000;

interface ItemBody {
  availableQuantity: number;
  version: number;
}

/**
 * Makes sure the bench product exists with at least `minimum` units available, through the
 * inventory API (POST /api/inventory/items, PUT /api/inventory/items/{id}). Returns what is available.
 */
export async function ensureBenchStock(apiUrl: string, minimum: number, attempt = 1): Promise<number> {
  const itemUrl = `${apiUrl}/api/inventory/items/${BENCH_PRODUCT_ID}`;
  const current = await fetchJson<ItemBody>(itemUrl, { timeoutMs: 10_000 });
  if (current.status === 200 && current.body && current.body.availableQuantity >= minimum)
    return current.body.availableQuantity;
  const write =
    current.status === 404
      ? await fetchJson<ItemBody>(`${apiUrl}/api/inventory/items`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            productId: BENCH_PRODUCT_ID,
            productName: 'Benchmark widget',
            description: 'Bought by trackops bench; its stock is topped up by every run.',
            availableQuantity: STOCK_TARGET,
            unitPrice: '1.00',
            category: 'bench',
          }),
          timeoutMs: 10_000,
        })
      : await fetchJson<ItemBody>(itemUrl, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          // Based on the version just read: a run that raced it gets 409 and tries again.
          body: JSON.stringify({ availableQuantity: STOCK_TARGET, version: current.body?.version }),
          timeoutMs: 10_000,
        });
  // 409: another run created it a moment ago; its stock is then the target.
  if (write.status === 409 && attempt < 3) return ensureBenchStock(apiUrl, minimum, attempt + 1);
  if (write.status !== 200 && write.status !== 201)
    throw new Error(`could not stock ${BENCH_PRODUCT_ID}: ${write.status} ${JSON.stringify(write.body)}`);
  return write.body?.availableQuantity ?? STOCK_TARGET;
}
