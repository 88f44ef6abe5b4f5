/** How each figure of the report is obtained, written into the report so it travels with the numbers. */
export const BENCH_METHODS = {
  closedLoop:
    'N clients, each starting its next task when its last one is done, for --duration seconds per level ' +
    '(bounded count; tasks in flight at the deadline are awaited, each bounded by its own timeout). ' +
    'Rate = tasks that ended as wanted ÷ time from the level start to the last end. Levels double from 4 ' +
    'until two in a row gain less than 5 % over the best so far; the best is the saturation point.',
  ceiling:
    "bench/ceiling/workflow.ts: five sequential no-op activities with the saga database steps' activity " +
    'options (timeouts and retry policy), on a task queue of its own and a worker in the bench process, ' +
    'on the same Temporal server. A task: start the workflow, wait for its result.',
  saga:
    'A task: POST /api/orders (one unit of BENCH-SAGA-ITEM, tok_visa, a fresh UUID Idempotency-Key), then ' +
    'GET /api/orders/{id} until CONFIRMED (every --poll-ms, or a twentieth of the time waited so far when ' +
    'longer, at most 500 ms). That GET is read through the API cache, which the CDC consumer refreshes, so ' +
    'POST -> CONFIRMED is what a client sees, CDC path included. Saturation = CONFIRMED orders/s.',
  openLoop:
    'Orders arrive at a fixed interval, half the saturation rate unless --rate, for --duration seconds ' +
    '(bounded count), whatever the system does; each is followed as above until it settles or ' +
    '--settle-timeout passes (a timeout). Percentiles are nearest-rank over every order.',
  declines:
    'The open loop at the same rate with paymentMethod tok_chargeDeclined, which the simulated provider ' +
    'always declines (activities/payments/simulated-provider.ts): the saga releases the stock and the ' +
    'order ends CANCELLED (PAYMENT_DECLINED). POST -> CANCELLED is measured like POST -> CONFIRMED.',
  http:
    'GET /api/orders/{id} over the confirmed bench orders, autocannon with keep-alive connections, three ' +
    'targets taking turns in rounds (so background load falls on all alike), the median round reported. ' +
    'Uncached: the same API code started a second time with CACHE_ENABLED=false, so the only difference ' +
    'is the Redis read-through (its load is one Postgres query, the same loader that fills the cache). ' +
    'Not /items, which is another body and other queries. Bare express: the same bodies from memory.',
  cdc: 'bench/cdc-lag.ts (bench/cdc/measure-lag.ts): row UPDATEs at a steady rate -> the cache holding that version.',
  cleanup:
    'The confirmed bench orders are cancelled (DELETE /api/orders/{id}) at the end unless --keep-orders, ' +
    'so no saga is left waiting for a shipment; not measured.',
} as const;
