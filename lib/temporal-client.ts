import { Client, Connection } from '@temporalio/client';

/**
 * A Temporal client whose connection is made on first use, so a process can start (and report
 * itself not ready) while the Temporal server is still down.
 */
export function createTemporalClient(address: string, namespace: string): Client {
  const connection = Connection.lazy({ address, connectTimeout: '3s' });
  return new Client({ connection, namespace });
}

/** Calls Temporal with a deadline: an unreachable server becomes a quick, clear error. */
export function withTemporalDeadline<T>(client: Client, ms: number, call: () => Promise<T>): Promise<T> {
  return client.withDeadline(Date.now() + ms, call);
}
