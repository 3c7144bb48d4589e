// Operations on a live cluster (src/main/ops): the removal safety rule on its own, then membership
// changes and every fault with its automatic revert on a real hosted three-member cluster, each
// recorded on the timeline.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClusterConnection } from '../../src/main/connection/cluster-connection.ts';
import { KvClient } from '../../src/main/connection/kv-client.ts';
import { RequestError } from '../../src/main/connection/request-error.ts';
import type { LocalCluster } from '../../src/main/hosting/local-cluster.ts';
import { isStopped } from '../../src/main/hosting/node-process.ts';
import { FaultInjector, Timeline, type TimelineEntry } from '../../src/main/ops/faults.ts';
import { addMember, OperationError, removalRefusal, removeMember, transferLeadership, type MembershipProgress } from '../../src/main/ops/membership.ts';
import type { NodeStatus } from '../../src/shared/protocol/node-status.ts';
import { eventually, hostCluster, retryNotApplied, tearDown } from './support/hosted.ts';

const NODE_ARGS = ['--election-timeout', '300-600'];

describe('removalRefusal', () => {
  const voters = ['n1', 'n2', 'n3'];

  it('allows removing a follower when the voters left are all reachable', () => {
    assert.equal(removalRefusal([status('n1', voters, 'leader'), status('n2', voters), status('n3', voters)], 'n3'), undefined);
  });

  it('refuses, with the reason, a removal that leaves fewer reachable voters than a quorum', () => {
    const statuses = [status('n1', voters, 'leader'), status('n2', voters)];
    assert.equal(
      removalRefusal(statuses, 'n2'),
      'removing n2 leaves 1 of 2 voters reachable (n3 cannot be reached) and 2 are needed: the cluster would lose its quorum',
    );
    assert.equal(removalRefusal(statuses, 'n3'), undefined, 'removing the unreachable member itself is safe');
  });

  it('counts a voter the leader has not heard from lately as unreachable', () => {
    const leader = status('n1', voters, 'leader', { n2: 20, n3: 10_000 });
    assert.match(removalRefusal([leader, status('n2', voters), status('n3', voters)], 'n2') ?? '', /n3 cannot be reached.*lose its quorum/);
  });

  it('allows removing a learner; refuses an unknown member, the last voter, a change in progress, and no answers', () => {
    const withLearner = status('n1', ['n1', 'n2', 'n3'], 'leader', {}, ['n4']);
    assert.equal(removalRefusal([withLearner], 'n4'), undefined);
    assert.equal(removalRefusal([withLearner], 'n9'), 'n9 is not a member of the cluster (voters: n1, n2, n3; learners: n4)');
    assert.match(removalRefusal([status('n1', ['n1'], 'leader')], 'n1') ?? '', /only voter/);
    const joint = { ...status('n1', voters, 'leader'), config: { voters, learners: [], votersOutgoing: ['n1', 'n2'] } };
    assert.match(removalRefusal([joint], 'n3') ?? '', /still in progress/);
    assert.match(removalRefusal([], 'n1') ?? '', /no member answers/);
  });
});

describe('operations on a hosted cluster', () => {
  let cluster: LocalCluster;
  let dir: string;
  let conn: ClusterConnection;
  let kv: KvClient;
  const timeline = new Timeline();
  let injector: FaultInjector;

  before(async () => {
    ({ cluster, dir } = await hostCluster({ nodeArgs: NODE_ARGS }));
    const auth = await cluster.auth();
    conn = new ClusterConnection(cluster.urls(), { auth, statusIntervalMs: 100, heartbeatMs: 500, backoff: { initialMs: 50, maxMs: 300, jitter: 0.5 } });
    kv = new KvClient(cluster.urls(), { auth, timeoutMs: 3000 });
    injector = new FaultInjector(conn, { host: cluster, timeline });
    await conn.waitForLeader(20_000);
  });

  after(async () => {
    injector?.close();
    kv?.close();
    conn?.close();
    await tearDown(cluster, dir);
  });

  /** A voter that does not lead, as the connection sees it now. */
  async function follower(except: string[] = []): Promise<string> {
    const leader = await conn.waitForLeader(10_000);
    const id = leader.status?.config.voters.find((v) => v !== leader.id && !except.includes(v));
    assert.ok(id, `no follower besides ${except.join(', ')}`);
    return id;
  }

  async function leaderStatus(): Promise<NodeStatus> {
    return (await conn.waitForLeader(10_000)).status as NodeStatus;
  }

  /** Resolves with the next timeline entry that matches; fails after `timeoutMs`. */
  function nextEntry(match: (e: TimelineEntry) => boolean, timeoutMs = 20_000): Promise<TimelineEntry> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (stop(), reject(new Error(`no matching timeline entry within ${timeoutMs} ms`))), timeoutMs);
      const stop = timeline.onEntry((e) => {
        if (!match(e)) return;
        clearTimeout(timer);
        stop();
        resolve(e);
      });
    });
  }

  async function connected(id: string): Promise<void> {
    await conn.waitUntil((c) => c.member(id)?.state === 'connected', 20_000, `${id} connected`);
  }

  it('transfers leadership to a chosen follower and waits until it leads', async () => {
    const before = await leaderStatus();
    const to = await follower();
    await transferLeadership(conn, to);
    assert.equal(conn.leader()?.id, to);
    assert.ok((conn.leader()?.status?.term ?? 0) > before.term);
    await assert.rejects(transferLeadership(conn, 'n9'), (e: Error) => e instanceof OperationError && /n9 is not a voter/.test(e.message));
  });

  it('removes a healthy follower from a healthy three-member cluster', async () => {
    const gone = await follower();
    await removeMember(conn, gone);
    await conn.waitUntil((c) => c.leader()?.status?.config.voters.length === 2, 10_000, 'two voters');
    assert.ok(!(await leaderStatus()).config.voters.includes(gone));
    assert.equal(conn.member(gone), undefined, 'the connection stops watching it');
    await cluster.retire(gone);
  });

  it('adds a member as a learner, waits until it has caught up, then promotes it', async () => {
    await Promise.all(Array.from({ length: 300 }, (_, i) => retryNotApplied(() => kv.put(`ops-fill-${i % 30}`, `v${i}`))));
    const member = await cluster.addMember();
    const steps: MembershipProgress[] = [];
    await addMember(conn, member, { onProgress: (p) => steps.push(p) });
    const phases = steps.map((s) => s.phase).filter((p, i, all) => p !== all[i - 1]);
    assert.deepEqual(phases, ['adding', 'catching-up', 'promoting', 'done']);
    assert.ok(steps.some((s) => s.phase === 'catching-up' && (s.leaderLastIndex ?? 0) >= 300), JSON.stringify(steps));
    const config = (await leaderStatus()).config;
    assert.ok(config.voters.includes(member.id) && !config.learners.includes(member.id), JSON.stringify(config));
    assert.equal(config.voters.length, 3);
    await assert.rejects(addMember(conn, member), /already a voter/);
  });

  it('refuses to remove a voter when the voters left that answer could not form a quorum', async () => {
    const dead = await follower();
    const other = await follower([dead]);
    await injector.kill(dead);
    await conn.waitUntil((c) => c.member(dead)?.state !== 'connected', 10_000, `${dead} unreachable`);
    await assert.rejects(removeMember(conn, other), (e: Error) => {
      assert.ok(e instanceof OperationError);
      assert.equal(e.message, `removing ${other} leaves 1 of 2 voters reachable (${dead} cannot be reached) and 2 are needed: the cluster would lose its quorum`);
      return true;
    });
    assert.equal((await leaderStatus()).config.voters.length, 3, 'nothing was removed');
    await injector.heal();
    assert.equal(cluster.member(dead).state, 'running');
    assert.deepEqual(timeline.entries().at(-1)?.detail, { resumed: [], restarted: [dead] });
    await connected(dead);
  });

  it('kill with a revert timer: SIGKILL, then a restart', async () => {
    const id = await follower();
    const pid = cluster.member(id).pid;
    const reverted = nextEntry((e) => e.kind === 'revert' && e.action === 'restart');
    await injector.kill(id, { revertAfterMs: 300 });
    assert.equal(cluster.member(id).state, 'stopped');
    assert.deepEqual((await reverted).target, [id]);
    assert.equal(cluster.member(id).state, 'running');
    assert.notEqual(cluster.member(id).pid, pid);
    await connected(id);
  });

  it('partition with a revert timer: a linearizable read on the isolated member fails during, works after', async () => {
    const id = await follower();
    await connected(id);
    const isolated = new KvClient([conn.admin(id).url], { auth: await cluster.auth(), maxRedirects: 0, timeoutMs: 1500 });
    try {
      await eventually(async () => (await isolated.get('ops-fill-1').then(() => true, () => false)), 10_000, `a read on ${id} before the partition`);
      const healed = nextEntry((e) => e.kind === 'revert' && e.action === 'heal-partition');
      await injector.partition([id], { revertAfterMs: 3000 });
      const others = cluster.members().map((m) => m.id).filter((m) => m !== id).sort();
      const faults = (await conn.admin(id).status()).faults;
      assert.deepEqual([faults.dropTo.sort(), faults.dropFrom.sort()], [others, others]);
      await assert.rejects(isolated.get('ops-fill-1'), (e: Error) => e instanceof RequestError && ['TIMEOUT', 'NO_LEADER'].includes(e.code));
      assert.deepEqual((await healed).target, [id]);
      assert.deepEqual((await conn.admin(id).status()).faults.dropTo, []);
      await eventually(async () => (await isolated.get('ops-fill-1').then(() => true, () => false)), 10_000, `a read on ${id} after the partition`);
    } finally {
      isolated.close();
    }
  });

  it('pause with its revert: SIGSTOP, then SIGCONT', async () => {
    const id = await follower();
    const resumed = nextEntry((e) => e.kind === 'revert' && e.action === 'resume');
    await injector.pause(id, { ms: 1000 });
    const { pid } = cluster.member(id);
    assert.equal(cluster.member(id).state, 'paused');
    await eventually(() => isStopped(pid as number), 2000, `${id} stopped by SIGSTOP`);
    await resumed;
    assert.equal(cluster.member(id).state, 'running');
    assert.equal(isStopped(pid as number), false);
    await connected(id);
  });

  it('delay with a revert timer: the link faults are set, then cleared', async () => {
    const id = await follower();
    const cleared = nextEntry((e) => e.kind === 'revert' && e.action === 'clear-delay');
    await injector.delay([id], { delayMs: 150, jitterMs: 20 }, { revertAfterMs: 800 });
    const during = (await conn.admin(id).status()).faults;
    assert.deepEqual([during.delayMs, during.jitterMs], [150, 20]);
    await cleared;
    const afterwards = (await conn.admin(id).status()).faults;
    assert.deepEqual([afterwards.delayMs, afterwards.jitterMs], [0, 0]);
    await assert.rejects(injector.delay([id], {}), /at least one of/);
  });

  it('heal undoes faults that have no timer; a remote member cannot be restarted', async () => {
    const cut = await follower();
    await injector.partition([cut]);
    const remote = new FaultInjector(conn);
    await assert.rejects(remote.kill(cut, { revertAfterMs: 100 }), (e: Error) => e instanceof OperationError && /cannot be restarted from here/.test(e.message));
    await assert.rejects(remote.restart(cut), /needs a cluster hosted on this machine/);
    await assert.rejects(injector.partition(['n99']), /no member n99/);
    await injector.heal();
    assert.deepEqual((await conn.admin(cut).status()).faults.dropFrom, []);
    await retryNotApplied(() => kv.put('ops-after-heal', 'yes'));

    const actions = timeline.entries().map((e) => `${e.kind} ${e.action}`);
    for (const expected of ['fault kill', 'revert restart', 'fault partition', 'revert heal-partition', 'fault pause', 'revert resume', 'fault delay', 'revert clear-delay', 'heal heal']) {
      assert.ok(actions.includes(expected), `${expected} missing from ${actions.join(', ')}`);
    }
  });

  it('partitions while a member is down (the reached ends cut every link), and heal forgets a killed member the host let go of', async () => {
    const down = await follower();
    const cut = await follower([down]);
    await injector.kill(down);
    // `down` cannot be reached, but `cut` drops it both ways: the partition holds.
    await injector.partition([cut]);
    const cutFaults = (await conn.admin(cut).status()).faults;
    assert.deepEqual([...cutFaults.dropTo].sort(), conn.memberViews().flatMap((v) => (v.id === null || v.id === cut ? [] : [v.id])).sort());
    assert.ok(timeline.entries().some((e) => e.action === 'partition' && JSON.stringify(e.detail).includes(`"unreached":["${down}"]`)), 'the unreached member is noted');

    // The host lets go of it (as the app does after removing a member): heal has nothing to start
    // there, and must still clear the partition.
    await cluster.retire(down);
    await injector.heal();
    assert.deepEqual((await conn.admin(cut).status()).faults.dropTo, []);
    assert.ok(!cluster.members().some((m) => m.id === down), `${down} was not started again`);
    await retryNotApplied(() => kv.put('ops-after-partial-partition', 'yes'));
  });
});

function status(id: string, voters: string[], role: NodeStatus['role'] = 'follower', contact: Record<string, number> = {}, learners: string[] = []): NodeStatus {
  const progress = Object.fromEntries(
    Object.entries(contact).map(([peer, lastContactMs]) => [peer, { match: 10, next: 11, state: 'replicate' as const, inflight: 0, lagEntries: 0, lastContactMs }]),
  );
  return {
    id,
    cluster: 'test',
    version: '0.1.0',
    pid: 1,
    uptimeMs: 1000,
    role,
    term: 2,
    votedFor: null,
    leaderId: role === 'leader' ? id : 'n1',
    commitIndex: 10,
    appliedIndex: 10,
    firstIndex: 1,
    lastIndex: 10,
    snapshot: { index: 0, term: 0, bytes: 0 },
    wal: { bytes: 0, segments: 1 },
    config: { voters, learners },
    members: [...voters, ...learners].map((m) => ({ id: m, url: `ws://127.0.0.1:7${m.slice(1).padStart(3, '0')}` })),
    faults: { dropTo: [], dropFrom: [], delayMs: 0, jitterMs: 0, lossRate: 0, duplicateRate: 0 },
    ...(role === 'leader' ? { progress } : {}),
  };
}
