/**
 * The reference workflow for the ceiling: five sequential no-op activities under the saga's
 * activity options, on a task queue and worker of the bench's own. What the same Temporal server
 * and one worker can do at best, so the saga's throughput can be read as a share of it.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { CeilingActivities } from './activities';
import { CEILING_ACTIVITY_OPTIONS, CEILING_STEPS } from './retry-options';

const { noop } = proxyActivities<CeilingActivities>(CEILING_ACTIVITY_OPTIONS);

export async function ceilingWorkflow(): Promise<number> {
  let done = 0;
  for (let step = 0; step < CEILING_STEPS; step += 1) done += (await noop(step)) === step ? 1 : 0;
  return done;
}
