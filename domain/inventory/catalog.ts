/*
 * The inventory catalogue as the rest of the code base imports it: item commands, paged reads, the
 * stock health summary, price look-ups for the orders context, and the views and errors they share.
 * Each lives in a file of its own; stock movements are in ./stock.ts, manual holds in
 * ./manual-holds.ts.
 */
export * from './errors';
export * from './health';
export * from './item-commands';
export * from './pricing';
export * from './queries';
export * from './views';
