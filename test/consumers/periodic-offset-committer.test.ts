import type { TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { PeriodicOffsetCommitter } from '../../consumers/runtime/periodic-offset-committer';

/** A commit function that records what it was given. */
function recordingCommit() {
  const calls: TopicPartitionOffsetAndMetadata[][] = [];
  const commit = async (offsets: TopicPartitionOffsetAndMetadata[]) => {
    calls.push(offsets);
  };
  return { calls, commit };
}

it('commits the next offset to read, the newest per partition, and nothing when nothing is new', async () => {
  const { calls, commit } = recordingCommit();
  const committer = new PeriodicOffsetCommitter(commit, 60_000, () => undefined);
  committer.applied('t', 0, '4');
  committer.applied('t', 0, '9');
  committer.applied('t', 1, '0');
  await committer.flush();
  await committer.flush();
  expect(calls).toEqual([
    [
      { topic: 't', partition: 0, offset: '10' },
      { topic: 't', partition: 1, offset: '1' },
    ],
  ]);
});

it('keeps a failed commit for the next round unless a newer offset of its partition came meanwhile', async () => {
  const calls: TopicPartitionOffsetAndMetadata[][] = [];
  let fail: (error: Error) => void = () => undefined;
  const commit = (offsets: TopicPartitionOffsetAndMetadata[]) => {
    calls.push(offsets);
    // The first commit hangs until the test fails it; later ones succeed.
    return calls.length === 1 ? new Promise<void>((_, reject) => (fail = reject)) : Promise.resolve();
  };
  const errors: unknown[] = [];
  const committer = new PeriodicOffsetCommitter(commit, 60_000, (error) => errors.push(error));
  committer.applied('t', 0, '4');
  committer.applied('t', 1, '7');
  const failing = committer.flush();
  await new Promise((resolve) => setImmediate(resolve));
  expect(calls).toHaveLength(1);
  committer.applied('t', 1, '8'); // applied while the commit is under way
  fail(new Error('REBALANCE_IN_PROGRESS'));
  await failing;
  expect(errors).toHaveLength(1);
  await committer.flush();
  expect(calls[1]).toEqual(
    expect.arrayContaining([
      { topic: 't', partition: 0, offset: '5' },
      { topic: 't', partition: 1, offset: '9' },
    ]),
  );
  expect(calls[1]).toHaveLength(2);
  expect(committer.pendingCount).toBe(0);
});

it('drops what was applied on partitions a rebalance gave to another member', async () => {
  const { calls, commit } = recordingCommit();
  const committer = new PeriodicOffsetCommitter(commit, 60_000, () => undefined);
  committer.applied('t', 0, '4');
  committer.applied('t', 2, '6');
  committer.applied('u', 0, '1');
  committer.retain({ t: [2] });
  await committer.stop();
  expect(calls).toEqual([[{ topic: 't', partition: 2, offset: '7' }]]);
});

it('commits on its own every interval once started, and what is left on stop', async () => {
  const { calls, commit } = recordingCommit();
  const committer = new PeriodicOffsetCommitter(commit, 50, () => undefined);
  committer.start();
  committer.applied('t', 0, '1');
  // Polled rather than slept for: a loaded CI machine may run the timer late.
  for (const deadline = Date.now() + 5000; calls.length === 0 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(calls).toEqual([[{ topic: 't', partition: 0, offset: '2' }]]);
  committer.applied('t', 0, '2');
  await committer.stop();
  expect(calls).toHaveLength(2);
  committer.applied('t', 0, '3');
  await new Promise((resolve) => setTimeout(resolve, 150));
  expect(calls).toHaveLength(2);
});
