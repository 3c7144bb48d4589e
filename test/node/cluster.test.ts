// A three-node cluster of real raft-node processes started from the CLI: election, reads and
// writes on leader and followers, leadership transfer, membership changes, replication progress.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NodeStatus } from '../../src/shared/protocol/node-status.ts';
import type { ClientAnswer } from './support/client-answer.ts';
import { ClusterClient } from './support/cluster-client.ts';
import { TestCluster } from './support/cluster.ts';
import { withNodeLogs } from './support/failure-logs.ts';
import { freshPrefix, waitUntil } from './support/wait.ts';
import type { WsClient } from './support/ws-client.ts';

/** Roomier than the default 150-300 ms: a shared 2-core machine must not cause stray elections here. */
const TIMING = ['--election-timeout', '300-600', '--heartbeat', '50'];

type AdminAnswer = { ok: boolean; error?: { code: string; message: string } };

describe('a three-node cluster started from the CLI', () => {
  let cluster: TestCluster;
  let client: ClusterClient;
  const prefix = freshPrefix('cluster');
  const key = (name: string) => `${prefix}-${name}`;

  before(async () => {
    cluster = await TestCluster.start({ size: 3, args: TIMING, startTimeoutMs: 60_000 });
    client = new ClusterClient(cluster);
  });

  after(async () => {
    await client?.close();
    await cluster?.close();
  });

  /** A fresh /client connection to `id`, closed after `body`. */
  async function onMember<T>(id: string, body: (c: WsClient) => Promise<T>): Promise<T> {
    const connection = await cluster.connect(id, '/client');
    try {
      return await body(connection);
    } finally {
      await connection.close();
    }
  }

  const followersOf = (leader: string) => [...cluster.members.keys()].filter((id) => id !== leader && cluster.member(id).process.running);

  test('elects one leader that every member follows, in one term', () =>
    withNodeLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const statuses = await Promise.all(['n1', 'n2', 'n3'].map((id) => cluster.status(id)));
      assert.deepEqual(statuses.filter((s) => s.role === 'leader').map((s) => s.id), [leader]);
      assert.equal(new Set(statuses.map((s) => s.term)).size, 1, 'one term');
      for (const s of statuses) {
        assert.equal(s.leaderId, leader, `${s.id} follows the leader`);
        assert.deepEqual(s.config, { voters: ['n1', 'n2', 'n3'], learners: [] });
        assert.deepEqual(s.members.map((m) => m.url), ['n1', 'n2', 'n3'].map((id) => cluster.member(id).url));
      }
    }));

  test('a write on the leader is readable with a linearizable get on every member', () =>
    withNodeLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const put = await onMember(leader, (c) => c.request<ClientAnswer>({ op: 'put', key: key('a'), value: 'one' }));
      assert.equal(put.ok, true, JSON.stringify(put));
      for (const id of ['n1', 'n2', 'n3']) {
        const get = await onMember(id, (c) => c.request<ClientAnswer>({ op: 'get', key: key('a') }, 8000));
        assert.equal(get.ok, true, `${id}: ${JSON.stringify(get)}`);
        assert.equal(get.value, 'one', id);
        assert.ok((get.index ?? 0) >= (put.index ?? Infinity), `${id} read at ${get.index}, before the write at ${put.index}`);
      }
    }));

  test('a write sent to a follower is refused NOT_LEADER, naming the leader and its URL', () =>
    withNodeLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const follower = followersOf(leader)[0];
      const answer = await onMember(follower, (c) => c.request<ClientAnswer>({ op: 'put', key: key('refused'), value: 'never' }));
      assert.equal(answer.ok, false);
      assert.equal(answer.error?.code, 'NOT_LEADER', JSON.stringify(answer));
      assert.equal(answer.error?.leaderId, leader);
      assert.equal(answer.error?.leaderUrl, cluster.member(leader).url);
      // NOT_LEADER means "definitely not applied".
      const get = await client.send({ op: 'get', key: key('refused') });
      assert.equal(get.value, null);
    }));

  test('a serializable get on a follower shows a write eventually', () =>
    withNodeLogs(cluster, async () => {
      const put = await client.send({ op: 'put', key: key('eventually'), value: 'seen' });
      assert.equal(put.ok, true);
      const leader = await cluster.waitForLeader();
      for (const follower of followersOf(leader)) {
        await onMember(follower, (c) =>
          waitUntil(`${follower} to show the write`, 10_000, async () => {
            const get = await c.request<ClientAnswer>({ op: 'get', key: key('eventually'), consistency: 'serializable' });
            return get.ok && get.value === 'seen' ? get : undefined;
          }),
        );
      }
    }));

  test('transfer-leadership over /admin hands the lead to the member it names', () =>
    withNodeLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const before = await cluster.status(leader);
      const target = followersOf(leader)[0];
      const answer = await (await cluster.admin(leader)).request<AdminAnswer>({ op: 'transfer-leadership', to: target }, 15_000);
      assert.equal(answer.ok, true, JSON.stringify(answer));
      assert.equal(await cluster.waitForLeader(), target);
      const after = await cluster.status(target);
      assert.ok(after.term > before.term, `term ${after.term} after ${before.term}`);
      const put = await onMember(target, (c) => c.request<ClientAnswer>({ op: 'put', key: key('after-transfer'), value: 'new leader' }));
      assert.equal(put.ok, true, JSON.stringify(put));
    }));

  test("the leader's status reports each follower's progress: lagEntries and lastContactMs", () =>
    withNodeLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const [stopped, running] = followersOf(leader);
      const progress = (await cluster.status(leader)).progress ?? {};
      assert.deepEqual(Object.keys(progress).sort(), [stopped, running].sort());
      for (const p of Object.values(progress)) {
        assert.ok(Number.isInteger(p.lagEntries) && p.lagEntries >= 0, `lagEntries ${p.lagEntries}`);
        assert.ok(Number.isFinite(p.lastContactMs) && p.lastContactMs >= 0, `lastContactMs ${p.lastContactMs}`);
      }

      cluster.pause(stopped);
      try {
        for (let i = 0; i < 20; i++) assert.equal((await client.send({ op: 'put', key: key(`lag-${i}`), value: String(i) })).ok, true);
        const lagging = await waitUntil(`the leader to see ${stopped} lag`, 10_000, async () => {
          const p = (await cluster.status(leader)).progress?.[stopped];
          return p && p.lagEntries >= 20 && p.lastContactMs >= 500 ? p : undefined;
        });
        assert.ok(lagging.lagEntries >= 20);
        await waitUntil(`${running} to keep up`, 10_000, async () => ((await cluster.status(leader)).progress?.[running]?.lagEntries === 0 ? true : undefined));
      } finally {
        cluster.resume(stopped);
      }
      await waitUntil(`${stopped} to catch up after SIGCONT`, 15_000, async () => {
        const p = (await cluster.status(leader)).progress?.[stopped];
        return p && p.lagEntries === 0 && p.lastContactMs < 500 ? p : undefined;
      });
    }));

  test('a fresh member joins as a learner, catches up, and is promoted to voter', () =>
    withNodeLogs(cluster, async () => {
      for (let i = 0; i < 30; i++) assert.equal((await client.send({ op: 'put', key: key(`before-join-${i}`), value: String(i) })).ok, true);
      const leader = await cluster.waitForLeader();
      const joiner = await cluster.startJoiner('n4');

      const onFollower = await (await cluster.admin(followersOf(leader)[0])).request<AdminAnswer>({ op: 'add-member', memberId: 'n4', url: joiner.url, learner: true });
      assert.equal(onFollower.error?.code, 'NOT_LEADER', 'membership changes go to the leader');

      const added = await (await cluster.admin(leader)).request<AdminAnswer>({ op: 'add-member', memberId: 'n4', url: joiner.url, learner: true }, 15_000);
      assert.equal(added.ok, true, JSON.stringify(added));
      const withLearner = await cluster.status(leader);
      assert.deepEqual(withLearner.config.learners, ['n4']);
      assert.ok(!withLearner.config.voters.includes('n4'));

      const caughtUp = await waitUntil('the learner to catch up', 20_000, async () => {
        const [l, n4] = await Promise.all([cluster.status(leader), cluster.status('n4')]);
        return n4.appliedIndex >= l.commitIndex && n4.appliedIndex >= withLearner.commitIndex ? n4 : undefined;
      });
      assert.equal(caughtUp.role, 'learner');
      const copied = await onMember('n4', (c) => c.request<ClientAnswer>({ op: 'get', key: key('before-join-29'), consistency: 'serializable' }));
      assert.equal(copied.value, '29');

      const promoted = await (await cluster.admin(leader)).request<AdminAnswer>({ op: 'promote-member', memberId: 'n4' }, 15_000);
      assert.equal(promoted.ok, true, JSON.stringify(promoted));
      const asVoter = await waitUntil('n4 to see itself a voter', 15_000, async () => {
        const s = await cluster.status('n4');
        return s.config.voters.includes('n4') && s.role === 'follower' ? s : undefined;
      });
      assert.deepEqual(asVoter.config, { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
      const read = await onMember('n4', (c) => c.request<ClientAnswer>({ op: 'get', key: key('before-join-0') }, 8000));
      assert.equal(read.value, '0');
      assert.equal((await client.send({ op: 'put', key: key('four-voters'), value: 'yes' })).ok, true);
    }));

  test('remove-member shrinks the configuration and the removed member gets no more entries', () =>
    withNodeLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const removed = 'n4';
      const answer = await (await cluster.admin(leader)).request<AdminAnswer>({ op: 'remove-member', memberId: removed }, 15_000);
      assert.equal(answer.ok, true, JSON.stringify(answer));
      const remaining = ['n1', 'n2', 'n3'];
      await waitUntil('every remaining member to drop n4 from its configuration', 10_000, async () => {
        const statuses = await Promise.all(remaining.map((id) => cluster.status(id)));
        return statuses.every((s) => s.config.voters.join() === remaining.join() && s.config.learners.length === 0) ? true : undefined;
      });
      const progress = (await cluster.status(leader)).progress ?? {};
      assert.ok(!(removed in progress), `the leader still tracks ${removed}: ${JSON.stringify(progress)}`);

      const frozen = await waitUntil(`${removed} to settle`, 10_000, async () => {
        const first = await cluster.status(removed);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const second = await cluster.status(removed);
        return first.lastIndex === second.lastIndex ? second : undefined;
      });
      const commitBefore = (await cluster.status(leader)).commitIndex;
      for (let i = 0; i < 20; i++) assert.equal((await client.send({ op: 'put', key: key(`after-remove-${i}`), value: String(i) })).ok, true);
      const leaderAfter = await cluster.status(await cluster.waitForLeader());
      assert.ok(leaderAfter.commitIndex >= commitBefore + 20, 'the three remaining voters commit');
      const removedAfter: NodeStatus = await cluster.status(removed);
      assert.equal(removedAfter.lastIndex, frozen.lastIndex, `${removed} received entries after its removal`);
      assert.equal(removedAfter.appliedIndex, frozen.appliedIndex);
    }));
});
