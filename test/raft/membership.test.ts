// Single-server membership changes on the deterministic simulator: learners, promotion, removal
// (of a follower and of the leader), replacement, one change at a time, the 2015 single-server
// change bug, and removed members that must not disrupt the cluster.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageType, type NodeId, type ProposeResult } from '../../src/raft/types.ts';
import { Cluster, SIM_URL } from '../sim/cluster.ts';
import { Rng } from '../sim/rng.ts';

const ELECTION = 200;
const COMMIT = 100;

/** Steps until one node of `on` leads and every node of `on` follows it in its term. */
function stableLeader(c: Cluster, on: NodeId[]): NodeId {
  return c.awaitStableLeader(on, ELECTION);
}

function refusal(r: ProposeResult): string | undefined {
  return r.ok ? undefined : r.reason;
}

function commit(c: Cluster, payload: string, on: NodeId[], bound = COMMIT): number {
  const leader = stableLeader(c, on);
  const result = c.propose(leader, payload);
  assert.ok(result.ok, `${leader} refused ${payload}: ${JSON.stringify(result)}`);
  c.awaitApplied(payload, on, bound);
  return result.index;
}

/** Proposes `change` on `leader` and waits until it is applied on `leader`. */
function change(c: Cluster, leader: NodeId, cc: Parameters<Cluster['proposeConfChange']>[1]): number {
  const result = c.proposeConfChange(leader, cc);
  assert.ok(result.ok, `${leader} refused ${JSON.stringify(cc)}: ${JSON.stringify(result)}`);
  c.runUntil(() => c.node(leader).sm.applied >= result.index, COMMIT, `${JSON.stringify(cc)} applied on ${leader}`);
  return result.index;
}

/** A 3-voter cluster with a caught-up learner n4. */
function withLearner(seed: number): { c: Cluster; leader: NodeId } {
  const c = new Cluster({ seed, nodes: 3 });
  for (let i = 0; i < 5; i++) commit(c, `pre${i}`, c.ids());
  const leader = stableLeader(c, c.ids());
  c.addJoiner('n4');
  change(c, leader, { type: 'add-learner', id: 'n4', url: SIM_URL('n4') });
  commit(c, 'caught-up', c.ids());
  return { c, leader };
}

describe('learners', () => {
  test('add a learner and catch it up', () => {
    const { c, leader } = withLearner(50);
    assert.deepEqual(c.node('n4').sm.payloads(), c.node(leader).sm.payloads());
    const conf = c.node(leader).status().conf;
    assert.deepEqual(conf.learners, ['n4']);
    assert.ok(!conf.voters.includes('n4'));
  });

  test('a learner never votes or campaigns', () => {
    const { c } = withLearner(51);
    let campaigns = 0;
    c.filter = (m) => {
      if (m.from === 'n4' && [MessageType.PreVote, MessageType.Vote, MessageType.PreVoteResp, MessageType.VoteResp].includes(m.type)) campaigns++;
      return m;
    };
    c.isolate('n4');
    c.run(10 * c.electionTicksMax);
    c.campaign('n4');
    c.run(2);
    assert.equal(c.node('n4').role, 'follower');
    c.heal();
    // An election among the voters does not involve the learner either.
    const leader = stableLeader(c, ['n1', 'n2', 'n3']);
    c.isolate(leader);
    stableLeader(c, c.others(leader, 'n4'));
    assert.equal(campaigns, 0, 'the learner took part in an election');
  });

  test('a learner never counts toward commit', () => {
    const { c, leader } = withLearner(52);
    c.addJoiner('n5');
    change(c, leader, { type: 'add-learner', id: 'n5', url: SIM_URL('n5') });
    commit(c, 'both-caught-up', c.ids());
    // The leader and two learners would be three of five members, but they are one of three voters.
    const [v1, v2] = c.others(leader, 'n4', 'n5');
    c.cut(leader, v1);
    c.cut(leader, v2);
    const result = c.propose(leader, 'x');
    assert.ok(result.ok);
    c.runUntil(() => ['n4', 'n5'].every((id) => c.node(id).storage.lastIndex() >= result.index), COMMIT, 'the learners hold x');
    c.run(2 * c.electionTicksMin);
    assert.ok(c.node(leader).storage.hardState.commit < result.index, 'committed with only the leader and learners');
    assert.ok(!c.node('n4').sm.hasApplied('x'));
  });

  test('promote a learner: it votes, counts and can lead', () => {
    const { c, leader } = withLearner(53);
    assert.equal(refusal(c.transferLeadership(leader, 'n4')), 'unknown-member', 'a learner cannot be a transfer target');
    change(c, leader, { type: 'promote', id: 'n4' });
    const conf = c.node(leader).status().conf;
    assert.ok(conf.voters.includes('n4'));
    assert.deepEqual(conf.learners, []);
    assert.ok(c.transferLeadership(leader, 'n4').ok);
    c.runUntil(() => c.leader()?.id === 'n4', COMMIT, 'n4 leads');
    // Four voters: a majority needs three, and n4 is one of them.
    const [v1, v2] = c.others(leader, 'n4');
    c.isolate(v1);
    commit(c, 'three-of-four', ['n4', leader, v2]);
    c.isolate(v2);
    const stuck = c.propose('n4', 'two-of-four');
    assert.ok(stuck.ok);
    c.run(c.electionTicksMin);
    assert.ok(c.node('n4').storage.hardState.commit < stuck.index, 'two of four voters committed');
  });
});

describe('removal', () => {
  test('remove a follower: it no longer counts and hears nothing', () => {
    const c = new Cluster({ seed: 54, nodes: 3 });
    commit(c, 'a', c.ids());
    const leader = stableLeader(c, c.ids());
    const [removed, kept] = c.others(leader);
    change(c, leader, { type: 'remove', id: removed });
    commit(c, 'b', [leader, kept]);
    assert.deepEqual(c.node(leader).status().conf.voters.sort(), [leader, kept].sort());
    let replicated = 0;
    c.filter = (m) => {
      if (m.from === leader && m.to === removed && [MessageType.App, MessageType.Heartbeat, MessageType.Snap].includes(m.type)) replicated++;
      return m;
    };
    c.run(2 * c.electionTicksMax);
    assert.equal(replicated, 0, 'the leader still replicates to a removed member');
    // With the remaining two voters, the removed node cannot stand in for the other one.
    c.crash(kept);
    const result = c.propose(leader, 'c');
    assert.ok(result.ok);
    c.run(c.electionTicksMin);
    assert.ok(c.node(leader).storage.hardState.commit < result.index, 'a removed member counted toward commit');
  });

  test('remove the leader: it steps down once the change commits, and the rest elect a new one', () => {
    const c = new Cluster({ seed: 55, nodes: 3, network: { dropRate: 0, duplicateRate: 0, minDelay: 2, maxDelay: 3 } });
    commit(c, 'a', c.ids());
    const leader = stableLeader(c, c.ids());
    const result = c.proposeConfChange(leader, { type: 'remove', id: leader });
    assert.ok(result.ok);
    assert.equal(c.node(leader).role, 'leader', 'stepped down before the change committed');
    c.runUntil(
      () => {
        const node = c.node(leader);
        if (node.role === 'leader') return false;
        assert.ok(node.storage.hardState.commit >= result.index, 'stepped down before its removal committed');
        return true;
      },
      COMMIT,
      'the removed leader steps down',
    );
    const rest = c.others(leader);
    const next = stableLeader(c, rest);
    assert.notEqual(next, leader);
    commit(c, 'b', rest);
    assert.ok(!c.node(next).status().conf.voters.includes(leader));
  });

  test('remove the leader of two voters while it is cut off: the cluster recovers once healed', () => {
    const c = new Cluster({ seed: 59, nodes: 3 });
    commit(c, 'a', c.ids());
    const leader = stableLeader(c, c.ids());
    const [gone, other] = c.others(leader);
    change(c, leader, { type: 'remove', id: gone });
    c.decommission(gone);
    const removal = c.proposeConfChange(leader, { type: 'remove', id: leader });
    assert.ok(removal.ok);
    c.isolate(leader);
    c.run(5 * c.electionTicksMax);
    c.heal();
    // The removed leader must finish its removal (or let `other` lead): `other` ends up alone.
    c.runUntil(() => c.leader()?.id === other, ELECTION, `${other} leads`);
    commit(c, 'b', [other]);
    assert.deepEqual(c.node(other).status().conf.voters, [other]);
  });

  test('replace the leader: add a new member, promote it, remove the old leader', () => {
    const { c, leader } = withLearner(56);
    change(c, leader, { type: 'promote', id: 'n4' });
    change(c, leader, { type: 'remove', id: leader });
    const rest = c.others(leader);
    stableLeader(c, rest);
    c.decommission(leader);
    for (let i = 0; i < 5; i++) commit(c, `after${i}`, rest);
    assert.deepEqual(c.node('n4').sm.payloads(), c.node(rest[0]).sm.payloads());
  });

  test('a removed node does not disrupt the cluster', () => {
    const c = new Cluster({ seed: 57, nodes: 3 });
    commit(c, 'a', c.ids());
    const leader = stableLeader(c, c.ids());
    const [removed, kept] = c.others(leader);
    // The removed node never hears of its removal: it still believes it is a voter.
    c.isolate(removed);
    change(c, leader, { type: 'remove', id: removed });
    commit(c, 'b', [leader, kept]);
    c.heal();
    const term = c.node(leader).term;
    c.run(10 * c.electionTicksMax);
    assert.equal(c.leader(), c.node(leader));
    assert.equal(c.node(leader).term, term, 'the removed node forced a new term');
    commit(c, 'c', [leader, kept]);
    // Its id is never reused: a replacement joins under a new one.
    c.addJoiner('n4');
    change(c, leader, { type: 'add-learner', id: 'n4', url: SIM_URL('n4') });
    commit(c, 'd', [leader, kept, 'n4']);
    change(c, leader, { type: 'promote', id: 'n4' });
    commit(c, 'e', [leader, kept, 'n4']);
  });
});

describe('one change at a time', () => {
  test('a second change is refused while the first is uncommitted', () => {
    const c = new Cluster({ seed: 58, nodes: 3 });
    commit(c, 'a', c.ids());
    const leader = stableLeader(c, c.ids());
    c.addJoiner('n4');
    const first = c.proposeConfChange(leader, { type: 'add-learner', id: 'n4', url: SIM_URL('n4') });
    assert.ok(first.ok);
    const second = c.proposeConfChange(leader, { type: 'add-learner', id: 'n5', url: SIM_URL('n5') });
    assert.equal(refusal(second), 'conf-pending');
    assert.equal(refusal(c.proposeConfChange(leader, { type: 'promote', id: 'n4' })), 'conf-pending');
    c.runUntil(() => c.node(leader).storage.hardState.commit >= first.index, COMMIT, 'the first change commits');
    c.addJoiner('n5');
    assert.ok(c.proposeConfChange(leader, { type: 'add-learner', id: 'n5', url: SIM_URL('n5') }).ok);
  });

  /**
   * Ongaro, raft-dev, 2015, "bug in single-server membership changes": S1 leads {S1..S4} and
   * appends "add S5", which only S5 receives; S1 crashes. S2 wins term t+1 with S3 and S4, and
   * appends "remove S1", which S3 receives: committed by {S2,S3} of {S2,S3,S4}. S1 returns and
   * wins with S4 and S5 under {S1..S5}, then overwrites the committed removal. The fix: a leader
   * proposes no change before an entry of its own term commits.
   */
  function singleServerBugScenario(seed: number): void {
    const c = new Cluster({ seed, nodes: 4 });
    const rng = new Rng(seed);
    commit(c, 'base', c.ids());
    const s1 = stableLeader(c, c.ids());
    c.addJoiner('n5');
    c.partition([[s1, 'n5'], c.others(s1, 'n5')]);
    const add = c.proposeConfChange(s1, { type: 'add-voter', id: 'n5', url: SIM_URL('n5') });
    assert.ok(add.ok);
    c.runUntil(() => c.node('n5').storage.entryAt(add.index)?.term === add.term, COMMIT, 'S5 holds "add S5"');
    c.crash(s1);

    // S2 wins among S2, S3, S4; its no-op reaches S3 only.
    const s2 = c.awaitLeader(ELECTION, c.others(s1, 'n5')).id;
    const [s3, s4] = c.others(s1, 'n5', s2);
    c.partition([[s2, s3], [s4], ['n5'], [s1]]);
    let refusals = 0;
    c.runUntil(
      () => {
        if (c.node(s2).role !== 'leader') return true;
        const result = c.proposeConfChange(s2, { type: 'remove', id: s1 });
        assert.equal(refusal(result), 'no-current-term-commit', 'a new leader proposed a change before committing an entry of its term');
        refusals++;
        return false;
      },
      ELECTION,
      'S2 loses its leadership',
    );
    assert.ok(refusals > 0);

    // S1 returns and campaigns with S4 and S5; then everyone is back.
    c.crash(s2);
    c.restart(s1);
    c.partition([[s1, s4, 'n5'], [s3], [s2]]);
    c.run(rng.between(0, 3 * c.electionTicksMax));
    c.heal();
    c.restart(s2);
    // Whoever won decides whether S5 is a member; every member of its configuration follows it.
    const settled = () => {
      const leader = c.leader();
      return leader?.status().conf.voters.every((id) => c.node(id).leaderId === leader.id && c.node(id).term === leader.term);
    };
    c.runUntil(() => settled() === true, ELECTION, 'a leader followed by its whole configuration');
    commit(c, 'end', c.leader()!.status().conf.voters);
  }

  test('2015 single-server change bug: no change before the new leader commits in its term', () => {
    for (let seed = 60; seed < 80; seed++) {
      try {
        singleServerBugScenario(seed);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}`);
      }
    }
  });
});
