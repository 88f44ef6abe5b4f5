import { createHash } from 'node:crypto';
import { isGrpcServiceError, type Client } from '@temporalio/client';

/** gRPC NOT_FOUND: no such workflow, or (message "already completed") one that has closed. */
const GRPC_NOT_FOUND = 5;

export type SignalOutcome = 'signalled' | 'closed' | 'not-found';

export interface SignalRequest {
  workflowId: string;
  signalName: string;
  arg: unknown;
  /** Derived from the event, so a redelivered event repeats the same request id. */
  requestId: string;
}

/**
 * A request id made from the parts that identify one intended signal (consumer, event id, target,
 * what is signalled), formatted as a UUID.
 */
export function signalRequestId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Signals a workflow with a request id of our choosing. The SDK's `handle.signal()` always sends a
 * random one; the server remembers the request ids of the signals a running workflow received and
 * drops a repeat (it is not added to the history again), so a deterministic id makes a signal that a
 * crashed consumer sends a second time a no-op. A workflow that has closed (or never existed) is
 * reported, not thrown: the event has nothing left to change.
 */
export async function signalOnce(temporal: Client, request: SignalRequest): Promise<SignalOutcome> {
  try {
    await temporal.workflowService.signalWorkflowExecution({
      namespace: temporal.options.namespace,
      workflowExecution: { workflowId: request.workflowId },
      signalName: request.signalName,
      input: { payloads: [temporal.options.loadedDataConverter.payloadConverter.toPayload(request.arg)] },
      identity: temporal.options.identity,
      requestId: request.requestId,
    });
    return 'signalled';
  } catch (error) {
    const code: number | undefined = isGrpcServiceError(error) ? error.code : undefined;
    if (isGrpcServiceError(error) && code === GRPC_NOT_FOUND) {
      return /already completed|already finished/i.test(error.details ?? error.message)
        ? 'closed'
        : 'not-found';
    }
    throw error;
  }
}
