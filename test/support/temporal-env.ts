import { TestWorkflowEnvironment } from '@temporalio/testing';
import type {
  LocalTestWorkflowEnvironmentOptions,
  TimeSkippingTestWorkflowEnvironmentOptions,
} from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { TEMPORAL_SEARCH_ATTRIBUTES } from '../../deploy/stack/components/temporal';
import { temporalCliPath, temporalTestServerPath } from '../../deploy/temporal/binaries';

/*
 * The SDK's default for both environments downloads a server binary at run time, which fails on a
 * machine without internet; these helpers always point it at the binaries the stack installed.
 */

/**
 * Keeps workers' INFO chatter (state changes, polling notes) out of test output. The SDK's Runtime is a
 * process-wide singleton that can be installed only once, so a Runtime set up earlier wins.
 */
export function installQuietRuntime(): void {
  if (Runtime._instance !== undefined) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** The Java time-skipping test server: timers fire as soon as the workflow under test is idle. */
export function createTimeSkippingEnv(
  options: TimeSkippingTestWorkflowEnvironmentOptions = {},
): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    ...options,
    server: { ...options.server, executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
}

/**
 * A throwaway in-memory `temporal server start-dev` on a random port, with the same custom search
 * attributes as the stack's server so workflows that upsert them behave alike.
 */
export function createLocalEnv(
  options: LocalTestWorkflowEnvironmentOptions = {},
): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const searchAttributeArgs = Object.entries(TEMPORAL_SEARCH_ATTRIBUTES).flatMap(([name, type]) => [
    '--search-attribute',
    `${name}=${type}`,
  ]);
  return TestWorkflowEnvironment.createLocal({
    ...options,
    server: {
      ...options.server,
      executable: { type: 'existing-path', path: temporalCliPath() },
      extraArgs: [...searchAttributeArgs, ...(options.server?.extraArgs ?? [])],
    },
  });
}

/** Bundles once for several workers; webpack's progress chatter only hides test output, so keep warnings. */
export function bundleTestWorkflows(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}
