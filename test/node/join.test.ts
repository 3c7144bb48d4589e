// A member started with --join, added to a running cluster of real raft-node processes: it knows
// no member until the leader's log reaches it, so it answers the leader over the link its
// transport learned from the leader's handshake.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeStatus } from '../../src/shared/protocol/node-status.ts';
import { TestCluster } from './support/cluster.ts';
import { sleep } from './support/node-process.ts';

interface Answer {
  ok: boolean;
  error?: { code: string; message: string };
}

/** Polls `condition` every 100 ms until it holds, for at most `timeoutMs`. */
async function eventually(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(100);
  }
}

describe('a member started with --join', () => {
  it('is added as a learner, catches up with the leader through a snapshot, and is promoted to voter', async () => {
    const cluster = await TestCluster.start({ size: 3, args: ['--snapshot-entries', '20'] });
    try {
      const leader = await cluster.waitForLeader();
      const client = await cluster.connect(leader, '/client');
      try {
        for (let i = 0; i < 60; i++) {
          const put = await client.request<Answer>({ op: 'put', key: `k${i}`, value: `v${i}` });
          assert.equal(put.ok, true, JSON.stringify(put));
        }
      } finally {
        await client.close();
      }
      // The leader's log no longer starts at 1: an empty joiner can only catch up from a snapshot.
      await eventually('the leader compacts its log', async () => (await cluster.status(leader)).firstIndex > 1);

      const joiner = await cluster.startJoiner('n4');
      const admin = await cluster.admin(leader);
      const added = await admin.request<Answer>({ op: 'add-member', memberId: 'n4', url: joiner.url, learner: true }, 10_000);
      assert.equal(added.ok, true, JSON.stringify(added));

      // The leader's progress for n4 moves only when n4's answers reach it: the --join bug left it at 0.
      let joinerStatus: NodeStatus | undefined;
      await eventually('n4 applies everything the leader applied, and the leader hears so', async () => {
        const leaderStatus = await cluster.status(leader);
        joinerStatus = await cluster.status('n4');
        return joinerStatus.appliedIndex >= leaderStatus.appliedIndex && leaderStatus.progress?.n4?.match === leaderStatus.lastIndex;
      });
      assert.ok(joinerStatus && joinerStatus.snapshot.index > 0, 'n4 caught up without a snapshot');
      assert.deepEqual(joinerStatus.config.learners, ['n4']);

      const promoted = await admin.request<Answer>({ op: 'promote-member', memberId: 'n4' }, 10_000);
      assert.equal(promoted.ok, true, JSON.stringify(promoted));
      await eventually('n4 is a voter in its own configuration and the leader\'s', async () => {
        const [own, leaders] = await Promise.all([cluster.status('n4'), cluster.status(leader)]);
        return [own, leaders].every((s) => s.config.voters.includes('n4') && !s.config.learners.includes('n4'));
      });
    } catch (error) {
      console.error(`raft-node logs: ${await cluster.saveLogs()}`);
      throw error;
    } finally {
      await cluster.close();
    }
  });
});
