// Cluster scenarios in the spirit of MIT 6.5840's Raft tests, run on the deterministic simulator.
// Every scenario also runs under the simulator's invariants (election safety, log matching,
// leader completeness, state-machine safety, no committed entry lost) on every step.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageType, type NodeId } from '../../src/raft/types.ts';
import { Cluster, type ClusterOptions } from '../sim/cluster.ts';
import { Rng } from '../sim/rng.ts';

/** Steps allowed for an election: ten maximal election timeouts (the default is 10-20 ticks). */
const ELECTION = 200;
/** Steps allowed for an entry to commit and apply on a healthy majority. */
const COMMIT = 100;

function cluster(seed: number, nodes: number, extra: Partial<ClusterOptions> = {}): Cluster {
  return new Cluster({ seed, nodes, ...extra });
}

/** Steps until one node of `on` leads and every node of `on` follows it in its term. */
function stableLeader(c: Cluster, on: NodeId[]): NodeId {
  return c.awaitStableLeader(on, ELECTION);
}

/** Proposes on the leader of `on` and waits until every node in `on` applied it; returns its index. */
function commit(c: Cluster, payload: string, on: NodeId[] = c.upNodes().map((n) => n.id), bound = COMMIT): number {
  const leader = c.node(stableLeader(c, on));
  const result = c.propose(leader.id, payload);
  assert.ok(result.ok, `${leader.id} refused ${payload}: ${JSON.stringify(result)}`);
  c.awaitApplied(payload, on, bound);
  return result.index;
}

function payloads(c: Cluster, id: NodeId): string[] {
  return c.node(id).sm.payloads();
}

function noLeader(c: Cluster): boolean {
  return c.upNodes().every((n) => n.role !== 'leader');
}

describe('election', () => {
  test('initial election', () => {
    const c = cluster(1, 3);
    const leader = c.awaitLeader(ELECTION);
    c.run(c.heartbeatTicks + 2);
    for (const n of c.nodes.values()) {
      assert.equal(n.term, leader.term, `${n.id} term`);
      assert.equal(n.leaderId, leader.id, `${n.id} knows the leader`);
    }
    // Without failures nobody campaigns again.
    c.run(10 * c.electionTicksMax);
    assert.equal(c.leader(), leader);
    assert.equal(leader.term, c.node(c.others(leader.id)[0]).term);
    assert.equal(c.inv.elections(), 1);
  });

  test('re-election', () => {
    const c = cluster(2, 3);
    const first = c.awaitLeader(ELECTION);
    c.isolate(first.id);
    const second = c.awaitLeader(ELECTION, c.others(first.id));
    assert.ok(second.term > first.term);

    // The old leader rejoins: the new one keeps leading.
    c.heal();
    c.run(5 * c.electionTicksMax);
    assert.equal(c.leader(), second);
    assert.equal(c.leader()?.term, second.term);

    // No quorum: nobody leads.
    c.partition(c.ids().map((id) => [id]));
    c.run(10 * c.electionTicksMax);
    assert.ok(noLeader(c), 'a leader without a quorum');

    // Quorum again: a leader.
    c.heal();
    c.isolate(second.id);
    c.awaitLeader(ELECTION, c.others(second.id));
  });

  test('many elections', () => {
    const c = cluster(3, 5);
    const rng = new Rng(3);
    c.awaitLeader(ELECTION);
    for (let round = 0; round < 10; round++) {
      const [a, b] = rng.shuffle(c.ids());
      c.isolate(a);
      c.isolate(b);
      const connected = c.others(a, b);
      c.runUntil(
        () => {
          const leader = c.leader(connected);
          return leader !== undefined && connected.every((id) => c.node(id).leaderId === leader.id);
        },
        ELECTION,
        `round ${round}: one leader among ${connected.join(',')}`,
      );
      c.heal();
    }
    assert.ok(c.inv.elections() >= 2);
  });
});

describe('agreement', () => {
  test('basic agreement', () => {
    const c = cluster(4, 3);
    c.awaitLeader(ELECTION);
    let last = 0;
    for (const v of ['v1', 'v2', 'v3']) {
      const index = commit(c, v);
      if (last) assert.equal(index, last + 1, 'consecutive indices');
      last = index;
    }
    for (const id of c.ids()) assert.deepEqual(payloads(c, id), ['v1', 'v2', 'v3']);
  });

  test('follower failure', () => {
    const c = cluster(5, 3);
    commit(c, 'a');
    const leader = c.leader()!.id;
    const [f1, f2] = c.others(leader);
    c.crash(f1);
    commit(c, 'b', [leader, f2]);
    c.crash(f2);
    const result = c.propose(leader, 'c');
    assert.ok(result.ok);
    c.run(10 * c.electionTicksMax);
    assert.ok(!c.node(leader).sm.hasApplied('c'), 'committed without a quorum');
    assert.ok(c.node(leader).storage.hardState.commit < result.index);
  });

  test('leader failure', () => {
    const c = cluster(6, 3);
    commit(c, 'a');
    const first = c.leader()!.id;
    c.crash(first);
    commit(c, 'b', c.others(first));
    const second = c.leader()!.id;
    c.crash(second);
    c.run(10 * c.electionTicksMax);
    assert.ok(noLeader(c), 'one node of three must not lead');
    const [last] = c.others(first, second);
    assert.deepEqual(payloads(c, last), ['a', 'b']);
  });

  test('agreement despite follower disconnection', () => {
    const c = cluster(7, 3);
    commit(c, 'a');
    const leader = c.leader()!.id;
    const [away, stay] = c.others(leader);
    c.isolate(away);
    for (const v of ['b', 'c', 'd']) commit(c, v, [leader, stay]);
    c.heal();
    c.awaitApplied('d', [away], COMMIT);
    for (const id of c.ids()) assert.deepEqual(payloads(c, id), ['a', 'b', 'c', 'd']);
  });

  test('no agreement without quorum', () => {
    const c = cluster(8, 5);
    commit(c, 'a');
    const leader = c.leader()!.id;
    const [kept, ...cut] = c.others(leader);
    c.partition([[leader, kept], ...cut.map((id) => [id])]);
    const result = c.propose(leader, 'b');
    assert.ok(result.ok);
    c.run(10 * c.electionTicksMax);
    for (const id of c.ids()) assert.ok(!c.node(id).sm.hasApplied('b'), `${id} applied b without a quorum`);
    assert.ok(noLeader(c), 'no leader without a quorum');
    c.heal();
    commit(c, 'c');
  });

  test('concurrent proposals', () => {
    const c = cluster(9, 3);
    const leader = c.awaitLeader(ELECTION).id;
    const values = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const indices = values.map((v) => {
      const r = c.propose(leader, v);
      assert.ok(r.ok);
      return r.index;
    });
    assert.deepEqual(
      indices,
      values.map((_, i) => indices[0] + i),
    );
    c.awaitApplied('c9', c.ids(), COMMIT);
    for (const id of c.ids()) assert.deepEqual(payloads(c, id), values);
  });

  test('rejoin of a partitioned leader', () => {
    const c = cluster(10, 3);
    commit(c, 'a');
    const old = c.leader()!.id;
    c.isolate(old);
    for (const v of ['lost1', 'lost2', 'lost3']) assert.ok(c.propose(old, v).ok);
    commit(c, 'b', c.others(old));
    const second = c.leader(c.others(old))!.id;
    c.heal();
    c.isolate(second);
    commit(c, 'c', c.others(second));
    c.heal();
    commit(c, 'd');
    for (const id of c.ids()) assert.deepEqual(payloads(c, id), ['a', 'b', 'c', 'd']);
  });

  test('fast backup over a long divergent log', () => {
    const c = cluster(11, 5);
    commit(c, 'start');
    // The old leader and a partner append many entries that never commit...
    const old = c.leader()!.id;
    const [partner, ...majority] = c.others(old);
    c.partition([[old, partner], majority]);
    const divergent = 50;
    for (let i = 0; i < divergent; i++) assert.ok(c.propose(old, `old${i}`).ok);
    const oldLast = c.node(old).storage.lastIndex();
    c.runUntil(() => c.node(partner).storage.lastIndex() === oldLast, COMMIT, 'the partner holds the divergent entries');
    // ...while the majority commits as many of its own.
    const first = stableLeader(c, majority);
    for (let i = 0; i < divergent; i++) assert.ok(c.propose(first, `new${i}`).ok);
    commit(c, 'majority-done', majority);

    // The partner joins two of the majority, whose leader starts probing it at its own long log's end.
    let rejects = 0;
    c.filter = (m) => {
      if (m.type === MessageType.AppResp && m.reject && m.from === partner) rejects++;
      return m;
    };
    c.crash(old);
    c.crash(first);
    c.heal();
    c.awaitApplied('majority-done', [partner], ELECTION);
    assert.ok(rejects >= 1, 'the partner had a divergent log to reject');
    assert.ok(rejects <= 3, `${rejects} rejections for ${divergent} divergent entries: no fast backup`);
    assert.ok(!c.node(partner).sm.hasApplied('old0'));
  });
});

describe('persistence', () => {
  test('persistence across crashes', () => {
    const c = cluster(12, 3);
    commit(c, 'a');
    const terms = new Map(c.ids().map((id) => [id, c.node(id).storage.hardState.term]));
    for (const id of c.ids()) c.crash(id);
    for (const id of c.ids()) {
      c.restart(id);
      assert.ok(c.node(id).term >= terms.get(id)!, `${id} forgot its term`);
    }
    commit(c, 'b');
    for (const id of c.ids()) assert.deepEqual(payloads(c, id), ['a', 'b'], `${id} after a full restart`);

    // Crash leaders and followers in turn; every acknowledged entry survives.
    const rng = new Rng(12);
    const done = ['a', 'b'];
    for (let round = 0; round < 6; round++) {
      const leader = c.awaitLeader(ELECTION).id;
      const victim = round % 2 === 0 ? leader : rng.pick(c.others(leader));
      c.crash(victim);
      const v = `r${round}`;
      commit(c, v, c.others(victim));
      done.push(v);
      c.restart(victim);
    }
    c.awaitApplied(done[done.length - 1], c.ids(), COMMIT);
    for (const id of c.ids()) assert.deepEqual(payloads(c, id), done);
  });

  test('Figure 8: a leader never commits an old-term entry by counting replicas', () => {
    const c = cluster(13, 5);
    commit(c, 'base');
    // (a) A replicates X to B only.
    const a = c.leader()!.id;
    const [b, ...rest] = c.others(a);
    c.partition([[a, b], rest]);
    const x = c.propose(a, 'X');
    assert.ok(x.ok);
    c.runUntil(() => c.node(b).storage.entryAt(x.index)?.term === x.term, COMMIT, 'B holds X');

    // (b) A crashes; E wins among the rest and appends its no-op at X's index, on its own log only.
    c.crash(a);
    const e = c.awaitLeader(ELECTION, rest).id;
    c.isolate(e);
    const eTerm = c.node(e).term;
    assert.equal(c.node(e).storage.entryAt(x.index)?.term, eTerm, "E's no-op sits at X's index");
    const [cNode, dNode] = rest.filter((id) => id !== e);
    c.run(2); // E's Apps still in flight are dropped
    c.crash(e);

    // (c) A restarts; A or B leads in a newer term and replicates X to C (but not its own no-op):
    // X is now on a majority, yet it must not count as committed.
    c.restart(a);
    c.heal();
    c.isolate(dNode);
    const ab = c.awaitLeader(ELECTION, [a, b, cNode]);
    assert.ok([a, b].includes(ab.id));
    const abTerm = ab.term;
    c.filter = (m) => (m.to === cNode && m.type === MessageType.App ? { ...m, entries: m.entries.filter((en) => en.term < abTerm) } : m);
    c.runUntil(() => c.node(cNode).storage.entryAt(x.index)?.term === x.term, COMMIT, 'C holds X');
    c.run(2 * c.electionTicksMax);
    assert.ok(c.node(ab.id).storage.hardState.commit < x.index, 'X was committed by counting replicas of an old term');

    // (d) The leader crashes; E comes back, wins with C and D, and overwrites X.
    c.filter = undefined;
    c.crash(ab.id);
    c.heal();
    for (const id of [a, b]) c.isolate(id);
    c.restart(e);
    c.awaitLeader(ELECTION, [e, cNode, dNode]);
    c.runUntil(() => c.node(cNode).storage.entryAt(x.index)?.term === eTerm, COMMIT, "E's entry replaces X on C");

    c.heal();
    for (const id of c.ids()) c.restart(id);
    commit(c, 'end');
    for (const id of c.ids()) assert.ok(!c.node(id).sm.hasApplied('X'), `${id} applied X`);
  });

  test('Figure 8 (reliable): leaders crash at random, nothing committed is lost', () => {
    for (const seed of [14, 15, 16]) {
      const c = cluster(seed, 5);
      const rng = new Rng(seed);
      let n = 0;
      for (let round = 0; round < 60; round++) {
        const leader = c.leader();
        if (leader) c.propose(leader.id, `f${n++}`);
        c.run(rng.chance(0.1) ? rng.between(1, c.electionTicksMax) : rng.between(1, 3));
        const now = c.leader();
        if (now && rng.chance(0.5)) c.crash(now.id);
        if (c.upNodes().length < 3) c.restart(rng.pick(c.ids().filter((id) => !c.node(id).up)));
      }
      for (const id of c.ids()) c.restart(id);
      commit(c, `seed${seed}-end`, c.ids(), 2 * COMMIT);
    }
  });

  test('Figure 8 (unreliable): reordered, lost and duplicated messages with leader partitions', () => {
    for (const seed of [17, 18, 19]) {
      const c = cluster(seed, 5, { network: { dropRate: 0.1, duplicateRate: 0.05, minDelay: 1, maxDelay: 6 } });
      const rng = new Rng(seed);
      let n = 0;
      for (let round = 0; round < 200; round++) {
        const leader = c.leader();
        if (leader) c.propose(leader.id, `u${n++}`);
        c.run(rng.between(1, 3));
        const now = c.leader();
        if (now && rng.chance(0.1)) c.isolate(now.id);
        if (rng.chance(0.1)) c.heal();
      }
      c.heal();
      c.net.setOptions({ dropRate: 0, duplicateRate: 0, minDelay: 1, maxDelay: 1 });
      commit(c, `seed${seed}-end`, c.ids(), 2 * COMMIT);
    }
  });

  test('unreliable churn', () => {
    for (const seed of [20, 21, 22]) {
      const c = cluster(seed, 5, { network: { dropRate: 0.05, duplicateRate: 0.02, minDelay: 1, maxDelay: 4 }, compactEvery: 20 });
      const rng = new Rng(seed);
      let n = 0;
      for (let round = 0; round < 150; round++) {
        const leader = c.leader();
        if (leader) c.propose(leader.id, `ch${n++}`);
        const id = rng.pick(c.ids());
        const roll = rng.float();
        if (roll < 0.05) c.crash(id);
        else if (roll < 0.15) c.restart(id);
        else if (roll < 0.2) c.isolate(id);
        else if (roll < 0.3) c.heal();
        c.run(rng.between(1, 5));
      }
      c.heal();
      c.net.setOptions({ dropRate: 0, duplicateRate: 0, minDelay: 1, maxDelay: 1 });
      for (const id of c.ids()) c.restart(id);
      commit(c, `seed${seed}-end`, c.ids(), 2 * COMMIT);
      assert.ok(c.inv.highestCommitted() > 20, 'the churn run made progress');
    }
  });
});

describe('snapshots', () => {
  const COMPACT = 10;

  test('basic: logs stay short', () => {
    const c = cluster(23, 3, { compactEvery: COMPACT });
    for (let i = 0; i < 60; i++) commit(c, `s${i}`);
    for (const id of c.ids()) {
      const s = c.node(id).storage;
      assert.ok(s.snapIndex() > 0, `${id} never snapshotted`);
      assert.ok(s.entries.length <= 2 * COMPACT, `${id} keeps ${s.entries.length} entries`);
      assert.equal(c.node(id).status().firstIndex, s.snapIndex() + 1, `${id}'s core kept the compacted entries`);
      assert.equal(payloads(c, id).length, 60);
    }
  });

  function lagBehindSnapshots(c: Cluster, behind: NodeId, count: number, on: NodeId[]): void {
    for (let i = 0; i < count; i++) commit(c, `lag${i}`, on);
    const leader = c.leader(on)!;
    assert.ok(leader.storage.snapIndex() > c.node(behind).storage.lastIndex(), 'the leader compacted past the lagging node');
  }

  test('install: a disconnected follower catches up from a snapshot', () => {
    const c = cluster(24, 3, { compactEvery: COMPACT });
    commit(c, 'a');
    const leader = c.leader()!.id;
    const [away, stay] = c.others(leader);
    c.isolate(away);
    lagBehindSnapshots(c, away, 40, [leader, stay]);
    const snaps = c.messagesSent(MessageType.Snap);
    c.heal();
    c.awaitApplied('lag39', [away], COMMIT);
    assert.ok(c.messagesSent(MessageType.Snap) > snaps, 'no snapshot was sent');
    assert.deepEqual(payloads(c, away), payloads(c, leader));
  });

  test('install over an unreliable network', () => {
    const c = cluster(25, 3, { compactEvery: COMPACT });
    commit(c, 'a');
    const leader = c.leader()!.id;
    const [away, stay] = c.others(leader);
    c.isolate(away);
    lagBehindSnapshots(c, away, 40, [leader, stay]);
    c.net.setOptions({ dropRate: 0.2, duplicateRate: 0.1, minDelay: 1, maxDelay: 4 });
    c.heal();
    c.awaitApplied('lag39', [away], 5 * COMMIT);
    c.net.setOptions({ dropRate: 0, duplicateRate: 0, minDelay: 1, maxDelay: 1 });
    commit(c, 'after');
    assert.ok(c.stats.snapshotsInstalled > 0);
  });

  for (const point of ['before-persist', 'after-persist', 'before-advance'] as const) {
    test(`crash during install (${point})`, () => {
      const c = cluster(26, 3, { compactEvery: COMPACT });
      commit(c, 'a');
      const leader = c.leader()!.id;
      const [away, stay] = c.others(leader);
      c.crash(away);
      lagBehindSnapshots(c, away, 40, [leader, stay]);
      c.planCrash(away, point, (rd) => rd.snapshot !== undefined);
      c.restart(away);
      c.runUntil(() => !c.node(away).up, COMMIT, 'the planned crash during the install');
      c.restart(away);
      if (point !== 'before-persist') assert.ok(c.node(away).storage.snapIndex() > 0, 'the persisted snapshot survives the crash');
      c.awaitApplied('lag39', [away], COMMIT);
      commit(c, 'after');
    });
  }

  test('all nodes crash', () => {
    const c = cluster(27, 3, { compactEvery: COMPACT });
    for (let i = 0; i < 35; i++) commit(c, `s${i}`);
    for (const id of c.ids()) c.crash(id);
    for (const id of c.ids()) c.restart(id);
    const index = commit(c, 'after');
    assert.ok(index > 35);
    for (const id of c.ids()) assert.equal(payloads(c, id).length, 36);
  });

  test('restart from a snapshot', () => {
    const c = cluster(28, 3, { compactEvery: COMPACT });
    for (let i = 0; i < 25; i++) commit(c, `s${i}`);
    const id = c.others(c.leader()!.id)[0];
    const snapIndex = c.node(id).storage.snapIndex();
    assert.ok(snapIndex > 0);
    c.crash(id);
    c.restart(id);
    const status = c.node(id).status();
    assert.equal(status.snapshot.index, snapIndex);
    assert.ok(status.applied >= snapIndex, 'restarted below its own snapshot');
    assert.ok(c.node(id).sm.applied >= snapIndex);
    commit(c, 'after');
    assert.equal(payloads(c, id).length, 26);
  });
});

describe('message budgets', () => {
  test('at most 30 messages to elect the first leader of 3 nodes', () => {
    // As in 6.5840, message delay (1 tick) is small against the spread of election timeouts.
    for (let seed = 1; seed <= 20; seed++) {
      const c = cluster(seed, 3, { electionTicksMin: 10, electionTicksMax: 50 });
      c.awaitLeader(ELECTION);
      assert.ok(c.messagesSent() <= 30, `seed ${seed}: ${c.messagesSent()} messages for the first election`);
    }
  });

  test('idle heartbeat traffic is bounded per simulated second', () => {
    // One heartbeat interval is 100 ms, so a second is 10 heartbeat intervals.
    const heartbeatTicks = 3;
    const ticksPerSecond = 10 * heartbeatTicks;
    const c = cluster(34, 3, { heartbeatTicks, electionTicksMin: 15, electionTicksMax: 30 });
    commit(c, 'warm-up');
    c.run(ticksPerSecond);
    const seconds = 10;
    const before = c.messagesSent();
    const appsBefore = c.messagesSent(MessageType.App);
    c.run(seconds * ticksPerSecond);
    const perSecond = (c.messagesSent() - before) / seconds;
    // A heartbeat and its answer per follower per interval.
    const bound = 2 * (c.ids().length - 1) * 10;
    assert.ok(perSecond > 0, 'an idle leader must still heartbeat');
    assert.ok(perSecond <= bound, `${perSecond} messages per idle second, bound ${bound}`);
    assert.equal(c.messagesSent(MessageType.App), appsBefore, 'App messages while idle');
  });
});

describe('PreVote and CheckQuorum', () => {
  test('PreVote: a partitioned node that comes back does not bump the term or disrupt the leader', () => {
    const c = cluster(35, 3);
    commit(c, 'a');
    const leader = c.leader()!;
    const term = leader.term;
    const away = c.others(leader.id)[0];
    c.isolate(away);
    c.run(10 * c.electionTicksMax);
    assert.equal(c.node(away).storage.hardState.term, term, 'the isolated node raised its term');
    c.heal();
    c.run(5 * c.electionTicksMax);
    assert.equal(c.leader(), leader);
    assert.equal(leader.term, term);
    commit(c, 'b');
  });

  test('CheckQuorum: a leader cut off from the majority steps down', () => {
    const c = cluster(36, 3);
    const leader = c.awaitLeader(ELECTION);
    c.isolate(leader.id);
    c.runUntil(() => leader.role !== 'leader', 2 * c.electionTicksMin + 2, 'the cut-off leader steps down');
  });
});

describe('leadership transfer', () => {
  test('to an up-to-date follower: it leads at once', () => {
    const c = cluster(37, 3);
    commit(c, 'a');
    const leader = c.leader()!;
    const target = c.others(leader.id)[0];
    const term = leader.term;
    assert.ok(c.transferLeadership(leader.id, target).ok);
    c.runUntil(() => c.leader()?.id === target, 5, `${target} leads`);
    assert.equal(c.node(target).term, term + 1);
    commit(c, 'b');
  });

  test('to a lagging node: the target catches up, then leads', () => {
    const c = cluster(38, 3);
    commit(c, 'a');
    const leader = c.leader()!;
    const [target, other] = c.others(leader.id);
    c.isolate(target);
    for (let i = 0; i < 20; i++) commit(c, `b${i}`, [leader.id, other]);
    c.heal();
    let timeoutNowSent = 0;
    c.filter = (m) => {
      if (m.type === MessageType.TimeoutNow) {
        timeoutNowSent++;
        assert.equal(c.node(target).storage.lastIndex(), leader.storage.lastIndex(), 'TimeoutNow before the target caught up');
      }
      return m;
    };
    assert.ok(c.transferLeadership(leader.id, target).ok);
    const refused = c.propose(leader.id, 'during');
    assert.ok(!refused.ok && refused.reason === 'transferring', 'proposals during a transfer are refused');
    c.runUntil(() => c.leader()?.id === target, c.electionTicksMin, `${target} leads`);
    assert.equal(timeoutNowSent, 1);
    commit(c, 'c');
    assert.ok(payloads(c, target).includes('b19'));
  });

  test('to an unreachable node: the transfer is abandoned and the leader serves again', () => {
    const c = cluster(39, 3);
    commit(c, 'a');
    const leader = c.leader()!;
    const target = c.others(leader.id)[0];
    c.isolate(target);
    assert.ok(c.transferLeadership(leader.id, target).ok);
    c.runUntil(() => c.propose(leader.id, 'after').ok, 2 * c.electionTicksMax, 'the leader accepts proposals again');
    assert.equal(c.leader(), leader);
  });
});

describe('ReadIndex', () => {
  test('a read state comes only after a heartbeat quorum', () => {
    const c = cluster(40, 3);
    commit(c, 'a');
    const leader = c.leader()!;
    let held = true;
    let acks = 0;
    // Heartbeats that carry a read round are the ones whose answers make up the quorum.
    c.filter = (m) => {
      if (m.type !== MessageType.HeartbeatResp || m.context === '') return m;
      if (held) return undefined;
      acks++;
      return m;
    };
    const commitAtRead = leader.storage.hardState.commit;
    assert.ok(c.readIndex(leader.id, 'r1').ok);
    c.run(3 * c.heartbeatTicks + 3);
    assert.equal(leader.readStates.length, 0, 'a read state without a heartbeat quorum');
    held = false;
    c.runUntil(() => leader.readStates.length > 0, 3 * c.heartbeatTicks + 3, 'the read state');
    assert.ok(acks >= 1, 'the read state came before any acknowledgement');
    assert.equal(leader.readStates[0].context, 'r1');
    assert.ok(leader.readStates[0].index >= commitAtRead);
  });

  test('a follower read is answered through the leader', () => {
    const c = cluster(41, 3);
    const index = commit(c, 'a');
    const follower = c.others(c.leader()!.id)[0];
    assert.ok(c.readIndex(follower, 'f1').ok);
    c.runUntil(() => c.node(follower).readStates.length > 0, 10, 'the follower read state');
    assert.ok(c.node(follower).readStates[0].index >= index);
  });

  test('a partitioned old leader cannot produce a read state', () => {
    for (const checkQuorum of [true, false]) {
      const c = cluster(42, 3, { checkQuorum });
      commit(c, 'a');
      const old = c.leader()!;
      c.isolate(old.id);
      assert.ok(c.readIndex(old.id, 'stale').ok);
      commit(c, 'b', c.others(old.id));
      c.run(2 * c.electionTicksMax);
      assert.equal(old.readStates.length, 0, `checkQuorum=${checkQuorum}: the old leader answered a read`);
      c.heal();
      commit(c, 'c');
      assert.ok(
        old.readStates.every((rs) => rs.context !== 'stale'),
        `checkQuorum=${checkQuorum}: a stale read state after the heal`,
      );
    }
  });
});
