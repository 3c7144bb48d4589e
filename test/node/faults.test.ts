// Network and process faults on a three-node cluster of real raft-node processes: partitions
// through the `fault` admin op, the `pause` op, and SIGSTOP of the leader.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientAnswer } from './support/client-answer.ts';
import { ClusterClient } from './support/cluster-client.ts';
import { TestCluster } from './support/cluster.ts';
import { leaderAmong, waitConverged } from './support/convergence.ts';
import { withNodeLogs } from './support/failure-logs.ts';
import { sleep } from './support/node-process.ts';
import { heal, partition } from './support/partition.ts';
import { freshPrefix, waitUntil } from './support/wait.ts';
import type { WsClient } from './support/ws-client.ts';

const TIMING = ['--election-timeout', '300-600', '--heartbeat', '50'];
const ALL = ['n1', 'n2', 'n3'];
const PAUSE_MS = 4000;

/** A request that may go unanswered: no answer within `timeoutMs` becomes a failure with code NO_ANSWER. */
async function answerOrSilence(connection: WsClient, body: Record<string, unknown>, timeoutMs: number): Promise<ClientAnswer> {
  try {
    return await connection.request<ClientAnswer>(body, timeoutMs);
  } catch (error) {
    return { ok: false, error: { code: 'NO_ANSWER', message: (error as Error).message } };
  }
}

describe('faults in a three-node cluster', () => {
  let cluster: TestCluster;
  let client: ClusterClient;
  const prefix = freshPrefix('faults');
  const key = (name: string) => `${prefix}-${name}`;
  /** Every acknowledged write of this file: key → value. Keys are written once. */
  const acked = new Map<string, string>();

  before(async () => {
    cluster = await TestCluster.start({ size: 3, args: TIMING, startTimeoutMs: 60_000 });
    client = new ClusterClient(cluster);
  });

  after(async () => {
    await client?.close();
    await cluster?.close();
  });

  /** Puts fresh keys one by one over `connection` (a leader's), each acknowledged or the test fails. */
  async function putAll(connection: WsClient, name: string, count: number): Promise<string[]> {
    const keys: string[] = [];
    for (let i = 0; i < count; i++) {
      const k = key(`${name}-${i}`);
      const answer = await connection.request<ClientAnswer>({ op: 'put', key: k, value: `${k}=v` }, 8000);
      assert.equal(answer.ok, true, `put ${k}: ${JSON.stringify(answer)}`);
      acked.set(k, `${k}=v`);
      keys.push(k);
    }
    return keys;
  }

  async function withConnection<T>(id: string, body: (c: WsClient) => Promise<T>): Promise<T> {
    const connection = await cluster.connect(id, '/client');
    try {
      return await body(connection);
    } finally {
      await connection.close();
    }
  }

  async function assertHolds(id: string, keys: Iterable<string>): Promise<void> {
    await withConnection(id, async (c) => {
      for (const k of keys) {
        const get = await c.request<ClientAnswer>({ op: 'get', key: k, consistency: 'serializable' });
        assert.equal(get.value, acked.get(k), `${id} lacks ${k}`);
      }
    });
  }

  test('a partitioned follower serves no linearizable read and commits nothing; healed, all converge', () =>
    withNodeLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const isolated = ALL.find((id) => id !== leader) as string;
      const majority = ALL.filter((id) => id !== isolated);
      assert.equal((await client.send({ op: 'put', key: key('before-split'), value: 'old' })).ok, true);
      acked.set(key('before-split'), 'old');

      await partition(cluster, [[isolated], majority]);
      await sleep(200);
      const frozen = await cluster.status(isolated);
      const keys = await withConnection(leader, (c) => putAll(c, 'majority', 20));
      await withConnection(isolated, async (c) => {
        const read = await answerOrSilence(c, { op: 'get', key: key('before-split') }, 10_000);
        assert.notEqual(read.ok, true, `the cut-off member answered a linearizable read: ${JSON.stringify(read)}`);
        const write = await answerOrSilence(c, { op: 'put', key: key('on-minority'), value: 'never' }, 10_000);
        assert.notEqual(write.ok, true, `the cut-off member acknowledged a write: ${JSON.stringify(write)}`);
      });
      const [stuck, moved] = await Promise.all([cluster.status(isolated), cluster.status(leader)]);
      assert.equal(stuck.commitIndex, frozen.commitIndex, 'the cut-off member committed something');
      assert.equal(stuck.appliedIndex, frozen.appliedIndex);
      assert.ok(moved.commitIndex >= frozen.commitIndex + 20, `the majority committed only up to ${moved.commitIndex}`);

      await heal(cluster, ALL);
      await cluster.waitForLeader();
      const statuses = await waitConverged(cluster, ALL);
      assert.equal(new Set(statuses.map((s) => s.appliedIndex)).size, 1);
      await assertHolds(isolated, [...keys, key('before-split')]);
      assert.equal((await client.send({ op: 'get', key: key('on-minority') })).value, null);
    }));

  test('a partitioned leader is replaced; its pending write never succeeds and no acknowledged write is lost', () =>
    withNodeLogs(cluster, async () => {
      const oldLeader = await cluster.waitForLeader();
      const majority = ALL.filter((id) => id !== oldLeader);
      await withConnection(oldLeader, (c) => putAll(c, 'before-leader-split', 10));

      const stranded = await cluster.connect(oldLeader, '/client');
      try {
        await partition(cluster, [[oldLeader], majority]);
        const pending = answerOrSilence(stranded, { op: 'put', key: key('pending'), value: 'from the old leader' }, 15_000);
        const newLeader = await leaderAmong(cluster, majority);
        assert.notEqual(newLeader, oldLeader);
        await withConnection(newLeader, (c) => putAll(c, 'new-leader', 10));
        await waitUntil(`${oldLeader} to step down without a quorum`, 10_000, async () => ((await cluster.status(oldLeader)).role !== 'leader' ? true : undefined));
        const answer = await pending;
        assert.notEqual(answer.ok, true, `a write on the cut-off leader was acknowledged: ${JSON.stringify(answer)}`);
      } finally {
        await stranded.close();
      }

      await heal(cluster, ALL);
      await cluster.waitForLeader();
      await waitConverged(cluster, ALL);
      for (const [k, value] of acked) assert.equal((await client.send({ op: 'get', key: k })).value, value, `acknowledged write of ${k} lost`);
      // The new leader never had it, so the old leader's uncommitted entry was overwritten.
      for (const id of ALL) await withConnection(id, async (c) => assert.equal((await c.request<ClientAnswer>({ op: 'get', key: key('pending'), consistency: 'serializable' })).value, null, id));
    }));

  test('a follower paused over /admin answers nothing meanwhile, the others go on, and it catches up', () =>
    withNodeLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const paused = ALL.find((id) => id !== leader) as string;
      const pid = (await cluster.status(paused)).pid;
      const opened = await cluster.connect(paused, '/client');
      try {
        const answer = await (await cluster.admin(paused)).request<{ ok: boolean }>({ op: 'pause', ms: PAUSE_MS });
        assert.equal(answer.ok, true);
        const [status, read, keys] = await Promise.all([
          cluster.status(paused, 1000).then(
            () => 'answered',
            () => 'silent',
          ),
          answerOrSilence(opened, { op: 'get', key: key('before-split'), consistency: 'serializable' }, 1000),
          withConnection(leader, (c) => putAll(c, 'during-pause', 20)),
        ]);
        assert.equal(status, 'silent', 'the paused member answered a status request');
        assert.equal(read.error?.code, 'NO_ANSWER', `the paused member answered a read: ${JSON.stringify(read)}`);

        const after = await waitUntil(`${paused} to answer again`, PAUSE_MS + 10_000, () => cluster.status(paused, 1000));
        assert.equal(after.pid, pid, 'the same process, not a restart');
        await waitConverged(cluster, ALL);
        await assertHolds(paused, keys);
      } finally {
        await opened.close();
      }
    }));

  test('a leader stopped with SIGSTOP is replaced; after SIGCONT it follows the new leader and catches up', () =>
    withNodeLogs(cluster, async () => {
      const oldLeader = await cluster.waitForLeader();
      const others = ALL.filter((id) => id !== oldLeader);
      let keys: string[];
      cluster.pause(oldLeader);
      try {
        const newLeader = await leaderAmong(cluster, others);
        assert.notEqual(newLeader, oldLeader);
        keys = await withConnection(newLeader, (c) => putAll(c, 'while-stopped', 20));
      } finally {
        cluster.resume(oldLeader);
      }
      const leader = await cluster.waitForLeader();
      assert.notEqual(leader, oldLeader);
      await waitConverged(cluster, ALL);
      assert.equal((await cluster.status(oldLeader)).role, 'follower');
      await assertHolds(oldLeader, keys);
    }));
});
