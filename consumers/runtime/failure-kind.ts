import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { TemporalFailure } from '@temporalio/common';
import { EventPayloadError } from '../../events/registry';
import { PermanentError } from './retry';

/**
 * What a failed handler's error says about retrying it:
 * - `permanent`: the message itself can never be applied (bad payload, schema mismatch, a business
 *   fact such as an unknown order): dead-lettered at once.
 * - `transient`: a dependency is unreachable or overloaded: retried until it is back, however long.
 * - `unknown`: anything else, most likely a bug: a bounded number of retries, then dead-lettered,
 *   so a bug parks its message instead of blocking the partition forever.
 */
export type FailureKind = 'permanent' | 'transient' | 'unknown';

/** Socket and DNS failures of Node's net layer (pg, ioredis and kafkajs surface these codes). */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Prisma's codes for an unreachable server, timeouts, an exhausted pool, a transaction that could
 * not start or finish in time, and a write conflict or deadlock (its retry succeeds).
 */
const TRANSIENT_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034']);

/** The driver adapter's own kinds (adapter-pg maps socket and some SQLSTATE errors to these). */
const TRANSIENT_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
]);

/**
 * SQLSTATEs that pass: connection exceptions (08), insufficient resources (53), the server shutting
 * down or starting (57P01-57P03), serialization failure and deadlock (40001, 40P01), lock timeout.
 */
const TRANSIENT_SQLSTATE = /^(08...|53...|57P0[123]|40001|40P01|55P03)$/;

/** What node-postgres and ioredis say, without a code, when their connection is gone. */
const TRANSIENT_CLIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Connection is closed\.$/,
  /^Stream isn't writeable/,
];

/** Redis replies that mean "not now": loading its dataset, a busy script, failover in progress. */
const TRANSIENT_REDIS_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)\b/;

/** gRPC status codes of the Temporal client. */
const GRPC = {
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  alreadyExists: 6,
  resourceExhausted: 8,
  unavailable: 14,
} as const;
const TRANSIENT_GRPC_CODES = new Set<number>([
  GRPC.unavailable,
  GRPC.deadlineExceeded,
  GRPC.resourceExhausted,
]);
const PERMANENT_GRPC_CODES = new Set<number>([GRPC.invalidArgument, GRPC.notFound, GRPC.alreadyExists]);

/** Errors that name no library class of ours but are recognised by name. */
const TRANSIENT_ERROR_NAMES = new Set([
  'MaxRetriesPerRequestError', // ioredis gave up on a command while reconnecting
  'CacheTimeoutError', // cache/redis-call.ts: Redis did not answer in time
]);

/** How deep to follow `cause` chains (ServiceError -> gRPC error; KafkaJS retries -> connection). */
const MAX_CAUSE_DEPTH = 5;

type Fields = { name?: unknown; code?: unknown; message?: unknown; meta?: unknown; retriable?: unknown };

/** A Prisma driver adapter error (thrown as is, or in a Prisma error's meta) by the kind it maps to. */
function adapterErrorKind(adapterError: unknown): FailureKind | undefined {
  const cause = (adapterError as { cause?: { kind?: unknown; code?: unknown } } | undefined)?.cause;
  if (typeof cause?.kind !== 'string') return undefined;
  if (TRANSIENT_ADAPTER_KINDS.has(cause.kind)) return 'transient';
  if (cause.kind === 'postgres' && typeof cause.code === 'string' && TRANSIENT_SQLSTATE.test(cause.code))
    return 'transient';
  return undefined;
}

/** The verdict on one error of a chain, or undefined when this link says nothing definite. */
function classifyOne(error: object): FailureKind | undefined {
  if (error instanceof PermanentError || error instanceof EventPayloadError) return 'permanent';
  if (error instanceof WorkflowNotFoundError) return 'permanent';
  if (error instanceof TemporalFailure && (error as { nonRetryable?: unknown }).nonRetryable === true)
    return 'permanent';
  if (isGrpcServiceError(error)) {
    if (TRANSIENT_GRPC_CODES.has(error.code)) return 'transient';
    if (PERMANENT_GRPC_CODES.has(error.code)) return 'permanent';
    return undefined;
  }

  const { name, code, message, meta, retriable } = error as Fields;
  if (typeof name === 'string' && TRANSIENT_ERROR_NAMES.has(name)) return 'transient';
  if (typeof code === 'string') {
    if (TRANSIENT_SYSTEM_CODES.has(code) || TRANSIENT_PRISMA_CODES.has(code)) return 'transient';
    // node-postgres passes the server's SQLSTATE as the code.
    if (TRANSIENT_SQLSTATE.test(code)) return 'transient';
  }
  // PrismaClientInitializationError carries its code as errorCode.
  const { errorCode } = error as { errorCode?: unknown };
  if (typeof errorCode === 'string' && TRANSIENT_PRISMA_CODES.has(errorCode)) return 'transient';
  const adapter =
    name === 'DriverAdapterError'
      ? adapterErrorKind(error)
      : adapterErrorKind((meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError);
  if (adapter) return adapter;
  // kafkajs marks what its own retries would have retried (connection, timeouts, leader moves).
  if (typeof name === 'string' && name.startsWith('KafkaJS') && retriable === true) return 'transient';
  if (typeof message === 'string') {
    if (TRANSIENT_CLIENT_MESSAGES.some((pattern) => pattern.test(message))) return 'transient';
    if (name === 'ReplyError' && TRANSIENT_REDIS_REPLY.test(message)) return 'transient';
  }
  return undefined;
}

/**
 * Classifies a handler's failure. The error and its causes are read outermost first and the first
 * definite verdict wins: a PermanentError wrapping a connection error is still permanent, and a
 * Temporal ServiceError is judged by the gRPC status it wraps.
 */
export function failureKind(error: unknown): FailureKind {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth += 1) {
    if (typeof current !== 'object' || current === null) return 'unknown';
    const verdict = classifyOne(current);
    if (verdict) return verdict;
    // An AggregateError (Node's connection attempts to several addresses) is as transient as its parts.
    const parts = (current as { errors?: unknown }).errors;
    if (Array.isArray(parts) && parts.length > 0 && parts.every((part) => failureKind(part) === 'transient'))
      return 'transient';
    current = (current as { cause?: unknown }).cause;
  }
  return 'unknown';
}
