import { Client, Connection } from '@temporalio/client';
import { tracingClientInterceptors } from './telemetry/temporal-tracing';

/**
 * A Temporal client whose connection is made on first use, so a process can start (and report
 * itself not ready) while the Temporal server is still down.
 */
export function createTemporalClient(address: string, namespace: string): Client {
  const connection = Connection.lazy({ address, connectTimeout: '3s' });
  return new Client({ connection, namespace, interceptors: tracingClientInterceptors() });
}
