/**
 * Shared plumbing for the order-saga tests: one time-skipping environment and one workflow bundle per
 * test file, a fresh worker on a unique task queue per test, random order ids.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DefaultLogger,
  Runtime,
  Worker,
  type LogEntry,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TEMPORAL_SEARCH_ATTRIBUTES } from '../../../deploy/stack/components/temporal';
import { orderSaga } from '../../../workflows';
import {
  cancelUpdate,
  orderWorkflowId,
  sagaStateQuery,
  statusUpdate,
  type CancelRequest,
  type CancellationReason,
  type FulfilmentStatus,
  type OrderSagaInput,
  type SagaResult,
  type SagaState,
} from '../../../workflows/contract';
import { bundleTestWorkflows, createTimeSkippingEnv } from '../../support/temporal-env';
import { FakeOrderSystem } from './fake-order-activities';

export type SagaHandle = WorkflowHandle<typeof orderSaga>;

export interface SagaTestContext {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
}

/**
 * The saga upserts OrderStatus, and the time-skipping server refuses undefined search attributes ("search
 * attribute OrderStatus is not defined" fails every workflow task). Its options have no search-attribute
 * setting, but it implements OperatorService.AddSearchAttributes, so register the stack's set there.
 */
async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const searchAttributes = Object.fromEntries(
    Object.entries(TEMPORAL_SEARCH_ATTRIBUTES).map(([name, type]) => {
      // The stack spells types the CLI's way ('Keyword', 'KeywordList'); the SDK wants 'KEYWORD', 'KEYWORD_LIST'.
      const sdkType = type.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase() as Parameters<
        typeof encodeSearchAttributeIndexedValueType
      >[0];
      const indexed = encodeSearchAttributeIndexedValueType(sdkType);
      if (indexed === undefined) throw new Error(`unknown search attribute type ${type} for ${name}`);
      return [name, indexed];
    }),
  );
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes,
  });
}

/**
 * Worker and workflow logs of this test file. The saga logs on purpose when it compensates and activities
 * fail on purpose, so printing them would bury the test report; a timed-out wait shows the latest ones.
 */
const capturedLogs: LogEntry[] = [];

function installCapturingRuntime(): void {
  if (Runtime._instance !== undefined) return;
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      capturedLogs.push(entry);
    }),
    // Core's own warnings (e.g. the test server lacking newer capabilities) are not about the saga.
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
}

/** Registers beforeAll/afterAll hooks; call at the top of a test file and read the context inside tests. */
export function useSagaEnvironment(): () => SagaTestContext {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap | undefined;
  beforeAll(async () => {
    installCapturingRuntime();
    [env, bundle] = await Promise.all([
      createTimeSkippingEnv(),
      bundleTestWorkflows(require.resolve('../../../workflows')),
    ]);
    await registerSearchAttributes(env);
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
  });
  return () => {
    if (!env || !bundle) throw new Error('saga test environment not initialised');
    return { env, bundle };
  };
}

export const PRODUCT_A = 'sku-widget';
export const PRODUCT_B = 'sku-gadget';

export function sagaInput(overrides: Partial<OrderSagaInput> = {}): OrderSagaInput {
  return {
    orderId: randomUUID(),
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    items: [
      { productId: PRODUCT_A, quantity: 2 },
      { productId: PRODUCT_B, quantity: 1 },
    ],
    totalAmount: '149.90',
    currency: 'EUR',
    paymentMethod: 'tok_visa',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ...overrides,
  };
}

/** Plenty of both products unless a test says otherwise. */
export const defaultStock = (): Record<string, number> => ({ [PRODUCT_A]: 10, [PRODUCT_B]: 5 });

/**
 * Starts the saga on a fresh worker with the fake's activities, runs `body` while the worker polls, and
 * shuts the worker down afterwards. Gates the test forgot to open are released so the worker can stop.
 */
export async function withSaga<T>(
  ctx: SagaTestContext,
  fake: FakeOrderSystem,
  input: OrderSagaInput,
  body: (handle: SagaHandle) => Promise<T>,
): Promise<T> {
  const taskQueue = `order-saga-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: ctx.env.nativeConnection,
    namespace: ctx.env.namespace ?? 'default',
    taskQueue,
    workflowBundle: ctx.bundle,
    activities: fake.activities,
  });
  const run = async () => {
    const handle = await ctx.env.client.workflow.start(orderSaga, {
      workflowId: orderWorkflowId(input.orderId),
      taskQueue,
      args: [input],
    });
    try {
      return await body(handle);
    } finally {
      fake.releaseAllGates();
      // A saga left waiting (for fulfilment, a restock) would otherwise keep timers on the shared server.
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') await handle.terminate('test finished');
    }
  };
  return await worker.runUntil(run());
}

/** Polls the saga's state query until `predicate` holds (queries do not advance time). */
export async function waitForState(
  handle: SagaHandle,
  predicate: (state: SagaState) => boolean,
  timeoutMs = 20_000,
): Promise<SagaState> {
  const deadline = Date.now() + timeoutMs;
  let last: SagaState | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(sagaStateQuery);
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const logs = capturedLogs.slice(-8).map((e) => `${e.level} ${e.message} ${JSON.stringify(e.meta ?? {})}`);
  throw new Error(
    `saga state never matched; last state: ${JSON.stringify(last, null, 2)}\nlatest logs:\n${logs.join('\n')}`,
  );
}

export const sagaState = (handle: SagaHandle): Promise<SagaState> => handle.query(sagaStateQuery);

/** Moves the order along by update, which answers only once the saga has written the status. */
export const advance = (handle: SagaHandle, newStatus: FulfilmentStatus, source?: string) =>
  handle.executeUpdate(statusUpdate, { args: [{ newStatus, ...(source ? { source } : {}) }] });

/** Cancels by update, which answers with the state the cancellation was accepted in. */
export const requestCancel = (handle: SagaHandle, request: CancelRequest) =>
  handle.executeUpdate(cancelUpdate, { args: [request] });

/** Runs `attempt` expecting the workflow to refuse the update; returns the refusal's message. */
export async function refusal(attempt: Promise<unknown>): Promise<string> {
  const error: unknown = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).message;
}

export const cancelledResult = (orderId: string, cancellationReason: CancellationReason): SagaResult => ({
  orderId,
  status: 'CANCELLED',
  cancellationReason,
});

/** Asserts the ledger holds nothing for the order: no stock reserved or sold, no money held or taken. */
export function expectNothingHeld(
  fake: FakeOrderSystem,
  orderId: string,
  initialStock: Record<string, number>,
) {
  expect(fake.heldFor(orderId)).toEqual([]);
  expect(fake.moneyTakenFor(orderId)).toEqual([]);
  for (const [productId, available] of Object.entries(initialStock)) {
    expect({ productId, ...fake.level(productId) }).toEqual({ productId, available, reserved: 0, sold: 0 });
  }
}

/** Rejects with `message` unless `promise` settles within `ms` of real time. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The timeline as 'STEP OUTCOME' strings, for readable order assertions. */
export const timelineOf = (state: SagaState): string[] =>
  state.timeline.map((e) => `${e.step} ${e.outcome}${e.detail ? ` ${e.detail}` : ''}`);

/** The compensations as 'NAME OUTCOME' strings, in the order they ran. */
export const compensationsOf = (state: SagaState): string[] =>
  state.compensations.map((c) => `${c.name} ${c.outcome}`);

/** Collapses runs of the same call (retries) so the order of distinct steps is easy to assert. */
export const distinctRuns = (labels: string[]): string[] =>
  labels.filter((label, i) => label !== labels[i - 1]);
