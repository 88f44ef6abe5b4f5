/** Interactive transactions: how long to wait for a connection, and how long one may run. */
export const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 15_000 } as const;
