// The rules of the Raft paper (https://raft.github.io/raft.pdf), one test each, after
// etcd-io/raft's raft_paper_test.go. Each test sets a core up through its public API, steps
// hand-made messages into it and checks the Ready batches that come out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, MessageType, NONE } from '../../src/raft/types.ts';
import type { Entry, Message, NodeId, Role } from '../../src/raft/types.ts';
import type { Raft } from '../../src/raft/raft.ts';
import {
  acceptApp,
  drain,
  drainCommitted,
  drainMessages,
  elect,
  electAndCommitNoop,
  entry,
  ids,
  logState,
  msg,
  newRaft,
  ticks,
} from './helpers/fixtures.ts';
import { Network, TestNode } from './helpers/network.ts';

const THREE = ids(3);
const MAX_TICKS = 20; // electionTicksMax in the test config

function byRecipient(msgs: Message[]): Message[] {
  return [...msgs].sort((a, b) => a.to.localeCompare(b.to));
}

function ofType(msgs: Message[], type: MessageType): Message[] {
  return byRecipient(msgs.filter((m) => m.type === type));
}

function idsOf(entries: Entry[]): Array<[number, number]> {
  return entries.map((e) => [e.index, e.term]);
}

const text = (e: Entry) => new TextDecoder().decode(e.data);
const data = (s: string) => new TextEncoder().encode(s);

/** n1 of a three-node cluster, in the given role, at term 1 (follower) or 2 (candidate, leader). */
function inRole(role: 'follower' | 'candidate' | 'leader'): Raft {
  const r = newRaft('n1', logState(THREE));
  if (role === 'candidate') r.campaign();
  if (role === 'leader') elect(r);
  drain(r);
  assert.equal(r.status().role, role);
  return r;
}

describe('§5.1 terms', () => {
  for (const role of ['follower', 'candidate', 'leader'] as const) {
    test(`Test${role[0].toUpperCase()}${role.slice(1)}UpdateTermFromMessage`, () => {
      const r = inRole(role);
      r.step(msg(MessageType.App, 'n2', 'n1', 5, { index: 1, logTerm: 1, commit: 1 }));
      const s = r.status();
      assert.equal(s.term, 5);
      assert.equal(s.role, 'follower');
      assert.equal(s.leaderId, 'n2');
    });
  }

  test('TestRejectStaleTermMessage', () => {
    const persisted = logState(THREE, [], { term: 3 });
    const r = newRaft('n1', persisted);
    drain(r);

    // A stale App must not be appended nor acknowledged.
    r.step(msg(MessageType.App, 'n2', 'n1', 2, { index: 1, logTerm: 1, commit: 1, entries: [entry(2, 2, 'x')] }));
    let s = r.status();
    assert.equal(s.term, 3);
    assert.equal(s.lastIndex, 1);
    assert.equal(s.leaderId, NONE);
    for (const m of drainMessages(r)) {
      assert.ok(m.term >= 3, `reply to a stale message carries the stale term: ${JSON.stringify(m)}`);
      assert.ok(!(m.type === MessageType.AppResp && !m.reject && m.index >= 2), 'stale App acknowledged');
    }

    // A stale vote request gets no vote.
    r.step(msg(MessageType.Vote, 'n2', 'n1', 2, { index: 5, logTerm: 2 }));
    assert.equal(r.status().vote, NONE);
    for (const m of drainMessages(r)) assert.ok(!(m.type === MessageType.VoteResp && !m.reject), 'vote granted at a stale term');

    // Stale votes do not elect a candidate.
    r.campaign();
    drain(r);
    s = r.status();
    assert.equal(s.role, 'candidate');
    r.step(msg(MessageType.VoteResp, 'n2', 'n1', s.term - 1));
    r.step(msg(MessageType.VoteResp, 'n3', 'n1', s.term - 1));
    drain(r);
    assert.equal(r.status().role, 'candidate');
  });
});

describe('§5.2 leader election', () => {
  test('TestStartAsFollower', () => {
    const r = newRaft('n1', logState(THREE, [2, 3], { term: 3 }));
    const s = r.status();
    assert.equal(s.role, 'follower');
    assert.equal(s.term, 3);
    assert.equal(s.leaderId, NONE);
  });

  test('TestLeaderBcastBeat', () => {
    const r = newRaft('n1', logState(THREE), { heartbeatTicks: 3 });
    electAndCommitNoop(r);
    const { term, commit } = r.status();
    ticks(r, 2);
    assert.deepEqual(ofType(drainMessages(r), MessageType.Heartbeat), [], 'heartbeat before heartbeatTicks');
    r.tick();
    const beats = ofType(drainMessages(r), MessageType.Heartbeat);
    assert.deepEqual(
      beats.map((m) => [m.from, m.to, m.term]),
      [
        ['n1', 'n2', term],
        ['n1', 'n3', term],
      ],
    );
    for (const m of beats) {
      assert.deepEqual(m.entries, []);
      assert.ok(m.commit <= commit);
    }
    ticks(r, 3);
    assert.equal(ofType(drainMessages(r), MessageType.Heartbeat).length, 2, 'heartbeats every heartbeatTicks');
  });

  for (const preVote of [false, true]) {
    const requestType = preVote ? MessageType.PreVote : MessageType.Vote;
    const firstRole: Role = preVote ? 'precandidate' : 'candidate';

    test(`TestFollowerStartElection (preVote ${preVote})`, () => {
      const r = newRaft('n1', logState(THREE, [], { term: 1 }), { preVote });
      drain(r);
      ticks(r, 9); // below electionTicksMin
      assert.deepEqual(drainMessages(r), [], 'campaigned before the election timeout');
      assert.equal(r.status().role, 'follower');
      ticks(r, MAX_TICKS - 9);
      const s = r.status();
      assert.equal(s.role, firstRole);
      // A pre-candidate keeps its term and vote; a candidate moves to the next term and votes for itself.
      assert.equal(s.term, preVote ? 1 : 2);
      assert.equal(s.vote, preVote ? NONE : 'n1');
      const asks = ofType(drainMessages(r), requestType);
      assert.deepEqual(
        asks.map((m) => [m.to, m.term, m.index, m.logTerm]),
        [
          ['n2', 2, 1, 1],
          ['n3', 2, 1, 1],
        ],
      );
    });

    test(`TestCandidateStartNewElection (preVote ${preVote})`, () => {
      const r = newRaft('n1', logState(THREE, [], { term: 1 }), { preVote });
      r.campaign();
      drain(r);
      const before = r.status();
      assert.equal(before.role, firstRole);
      ticks(r, MAX_TICKS);
      const s = r.status();
      assert.equal(s.role, firstRole);
      assert.equal(s.term, preVote ? 1 : 3, 'a candidate that times out starts a new term');
      const asks = ofType(drainMessages(r), requestType);
      assert.deepEqual(
        asks.map((m) => [m.to, m.term]),
        [
          ['n2', preVote ? 2 : 3],
          ['n3', preVote ? 2 : 3],
        ],
      );
    });
  }

  test('TestLeaderElectionInOneRoundRPC', () => {
    const cases: Array<{ size: number; votes: Record<NodeId, boolean>; role: Role }> = [
      // wins with votes from a majority
      { size: 1, votes: {}, role: 'leader' },
      { size: 3, votes: { n2: true, n3: true }, role: 'leader' },
      { size: 3, votes: { n2: true }, role: 'leader' },
      { size: 5, votes: { n2: true, n3: true, n4: true, n5: true }, role: 'leader' },
      { size: 5, votes: { n2: true, n3: true, n4: true }, role: 'leader' },
      { size: 5, votes: { n2: true, n3: true }, role: 'leader' },
      // back to follower when a majority refuses
      { size: 3, votes: { n2: false, n3: false }, role: 'follower' },
      { size: 5, votes: { n2: false, n3: false, n4: false, n5: false }, role: 'follower' },
      { size: 5, votes: { n2: true, n3: false, n4: false, n5: false }, role: 'follower' },
      // still a candidate without a majority either way
      { size: 3, votes: {}, role: 'candidate' },
      { size: 5, votes: { n2: true }, role: 'candidate' },
      { size: 5, votes: { n2: false, n3: false }, role: 'candidate' },
      { size: 5, votes: {}, role: 'candidate' },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newRaft('n1', logState(ids(c.size)));
      r.campaign();
      drain(r);
      for (const [id, granted] of Object.entries(c.votes)) {
        r.step(msg(MessageType.VoteResp, id, 'n1', 2, { reject: !granted }));
      }
      drain(r);
      assert.equal(r.status().role, c.role, `case #${i}`);
      assert.equal(r.status().term, 2, `case #${i}`);
    }
  });

  test('TestFollowerVote', () => {
    const cases: Array<{ vote: NodeId; candidate: NodeId; reject: boolean }> = [
      { vote: NONE, candidate: 'n2', reject: false },
      { vote: NONE, candidate: 'n3', reject: false },
      { vote: 'n2', candidate: 'n2', reject: false },
      { vote: 'n3', candidate: 'n3', reject: false },
      { vote: 'n2', candidate: 'n3', reject: true },
      { vote: 'n3', candidate: 'n2', reject: true },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newRaft('n1', logState(THREE, [], { term: 1, vote: c.vote }));
      drain(r);
      r.step(msg(MessageType.Vote, c.candidate, 'n1', 1, { index: 1, logTerm: 1 }));
      const replies = drainMessages(r);
      assert.deepEqual(
        replies.map((m) => [m.type, m.to, m.term, m.reject]),
        [[MessageType.VoteResp, c.candidate, 1, c.reject]],
        `case #${i}`,
      );
    }
  });

  test('TestFollowerVoteFirstComeFirstServed', () => {
    const r = newRaft('n1', logState(THREE));
    drain(r);
    r.step(msg(MessageType.Vote, 'n2', 'n1', 2, { index: 1, logTerm: 1 }));
    r.step(msg(MessageType.Vote, 'n3', 'n1', 2, { index: 1, logTerm: 1 }));
    r.step(msg(MessageType.Vote, 'n2', 'n1', 2, { index: 1, logTerm: 1 }));
    const replies = ofType(drainMessages(r), MessageType.VoteResp);
    assert.deepEqual(
      replies.map((m) => [m.to, m.reject]),
      [
        ['n2', false],
        ['n2', false],
        ['n3', true],
      ],
    );
    assert.equal(r.status().vote, 'n2');
  });

  test('TestVotePersistedBeforeResponse', () => {
    // A vote in a new term, and a vote in the term the follower is already in.
    for (const term of [1, 2]) {
      const r = newRaft('n1', logState(THREE, [], { term }));
      drain(r);
      r.step(msg(MessageType.Vote, 'n2', 'n1', 2, { index: 1, logTerm: 1 }));
      const readies = drain(r);
      const withResp = readies.filter((rd) => rd.messages.some((m) => m.type === MessageType.VoteResp));
      assert.equal(withResp.length, 1);
      const rd = withResp[0];
      assert.equal(rd.messages.find((m) => m.type === MessageType.VoteResp)!.reject, false);
      assert.deepEqual(rd.hardState && { term: rd.hardState.term, vote: rd.hardState.vote }, { term: 2, vote: 'n2' });
      assert.equal(rd.mustSync, true, 'a granted vote must be fsynced before the VoteResp leaves');
    }
    // The same holds for a candidate's own vote before it asks for others.
    const c = newRaft('n1', logState(THREE));
    drain(c);
    c.campaign();
    const first = drain(c).find((b) => b.messages.some((m) => m.type === MessageType.Vote));
    assert.ok(first, 'no Vote sent');
    assert.deepEqual(first.hardState && { term: first.hardState.term, vote: first.hardState.vote }, { term: 2, vote: 'n1' });
    assert.equal(first.mustSync, true);
  });

  test('TestCandidateFallback', () => {
    for (const term of [2, 3]) {
      const r = newRaft('n1', logState(THREE));
      r.campaign();
      drain(r);
      assert.equal(r.status().role, 'candidate');
      assert.equal(r.status().term, 2);
      r.step(msg(MessageType.App, 'n2', 'n1', term, { index: 1, logTerm: 1, commit: 1 }));
      const s = r.status();
      assert.equal(s.role, 'follower', `term ${term}`);
      assert.equal(s.term, term);
      assert.equal(s.leaderId, 'n2');
    }
  });

  /** Ticks until `r` sends a (pre-)vote request; returns how many ticks that took. */
  function ticksUntilCampaign(r: Raft): number {
    for (let t = 1; t <= 1000; t++) {
      r.tick();
      if (drainMessages(r).some((m) => m.type === MessageType.Vote || m.type === MessageType.PreVote)) return t;
    }
    throw new Error('no campaign within 1000 ticks');
  }

  for (const role of ['follower', 'candidate'] as const) {
    const name = role === 'follower' ? 'Follower' : 'Candidate';

    test(`Test${name}ElectionTimeoutRandomized`, () => {
      const r = newRaft('n1', logState(THREE), { electionTicksMin: 10, electionTicksMax: 20, seed: 42 });
      drain(r);
      const seen = new Set<number>();
      for (let round = 0; round < 500; round++) {
        const { term } = r.status();
        if (role === 'follower') r.step(msg(MessageType.Heartbeat, 'n2', 'n1', term + 1));
        else r.campaign();
        drain(r);
        const t = ticksUntilCampaign(r);
        assert.ok(t >= 10 && t <= 20, `election after ${t} ticks, outside [10, 20]`);
        seen.add(t);
      }
      for (let t = 10; t <= 20; t++) assert.ok(seen.has(t), `no election after exactly ${t} ticks in 500 rounds`);
    });

    test(`Test${name}sElectionTimeoutNonconflict`, () => {
      const nodes = ids(5).map((id, i) => newRaft(id, logState(ids(5)), { seed: 1000 + i }));
      nodes.forEach(drain);
      let conflicts = 0;
      const rounds = 1000;
      for (let round = 0; round < rounds; round++) {
        for (const [i, r] of nodes.entries()) {
          const leader = `n${((i + 1) % 5) + 1}`;
          if (role === 'follower') r.step(msg(MessageType.Heartbeat, leader, r.status().id, r.status().term + 1));
          else r.campaign();
          drain(r);
        }
        let timedOut = 0;
        for (let t = 0; timedOut === 0; t++) {
          assert.ok(t < 100, 'nobody timed out');
          for (const r of nodes) {
            r.tick();
            if (drainMessages(r).some((m) => m.type === MessageType.Vote)) timedOut++;
          }
        }
        if (timedOut > 1) conflicts++;
      }
      assert.ok(conflicts / rounds <= 0.3, `${conflicts} of ${rounds} rounds had simultaneous timeouts`);
    });
  }
});

describe('§5.3 log replication', () => {
  test('TestLeaderStartReplication', () => {
    const r = newRaft('n1', logState(THREE));
    electAndCommitNoop(r);
    const { lastIndex: li, term } = r.status();
    const res = r.propose(data('some data'));
    assert.deepEqual(res, { ok: true, index: li + 1, term });
    assert.equal(r.status().lastIndex, li + 1);
    assert.equal(r.status().commit, li);
    const readies = drain(r);
    const written = readies.flatMap((rd) => rd.entries);
    assert.deepEqual(idsOf(written), [[li + 1, term]]);
    assert.equal(text(written[0]), 'some data');
    assert.ok(readies.find((rd) => rd.entries.length > 0)!.mustSync, 'new entries must be fsynced');
    const apps = ofType(
      readies.flatMap((rd) => rd.messages),
      MessageType.App,
    );
    assert.deepEqual(
      apps.map((m) => [m.to, m.term, m.index, m.logTerm, m.commit, idsOf(m.entries), m.entries.map(text)]),
      [
        ['n2', term, li, term, li, [[li + 1, term]], ['some data']],
        ['n3', term, li, term, li, [[li + 1, term]], ['some data']],
      ],
    );
  });

  test('TestLeaderCommitEntry', () => {
    const r = newRaft('n1', logState(THREE));
    electAndCommitNoop(r);
    const { lastIndex: li, term } = r.status();
    r.propose(data('some data'));
    for (const m of ofType(drainMessages(r), MessageType.App)) r.step(acceptApp(m));
    const readies = drain(r);
    assert.equal(r.status().commit, li + 1);
    const committed = readies.flatMap((rd) => rd.committedEntries);
    assert.deepEqual(idsOf(committed), [[li + 1, term]]);
    assert.equal(text(committed[0]), 'some data');
    // The leader tells the followers about the new commit index in the next messages it sends them.
    let toFollowers = readies.flatMap((rd) => rd.messages).filter((m) => m.type === MessageType.App || m.type === MessageType.Heartbeat);
    if (toFollowers.length === 0) {
      r.tick();
      toFollowers = drainMessages(r);
    }
    assert.deepEqual(
      byRecipient(toFollowers).map((m) => [m.to, m.commit]),
      [
        ['n2', li + 1],
        ['n3', li + 1],
      ],
    );
  });

  test('TestLeaderAcknowledgeCommit', () => {
    const cases: Array<{ size: number; acceptors: NodeId[]; committed: boolean }> = [
      { size: 1, acceptors: [], committed: true },
      { size: 3, acceptors: [], committed: false },
      { size: 3, acceptors: ['n2'], committed: true },
      { size: 3, acceptors: ['n2', 'n3'], committed: true },
      { size: 5, acceptors: [], committed: false },
      { size: 5, acceptors: ['n2'], committed: false },
      { size: 5, acceptors: ['n2', 'n3'], committed: true },
      { size: 5, acceptors: ['n2', 'n3', 'n4'], committed: true },
      { size: 5, acceptors: ['n2', 'n3', 'n4', 'n5'], committed: true },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newRaft('n1', logState(ids(c.size)));
      electAndCommitNoop(r);
      const li = r.status().lastIndex;
      r.propose(data('some data'));
      const first = drain(r);
      for (const m of ofType(first.flatMap((rd) => rd.messages), MessageType.App)) {
        if (c.acceptors.includes(m.to)) r.step(acceptApp(m));
      }
      const committed = [...first, ...drain(r)].flatMap((rd) => rd.committedEntries);
      assert.equal(r.status().commit > li, c.committed, `case #${i}`);
      assert.equal(committed.some((e) => e.index === li + 1), c.committed, `case #${i}`);
    }
  });

  test('TestLeaderCommitPrecedingEntries', () => {
    for (const earlier of [[], [2], [1, 2], [1]]) {
      const r = newRaft('n1', logState(THREE, earlier, { term: 2, commit: 1 }));
      drain(r);
      elect(r);
      r.propose(data('some data'));
      for (const m of ofType(drainMessages(r), MessageType.App)) r.step(acceptApp(m));
      const committed = drainCommitted(r);
      const li = 1 + earlier.length;
      assert.deepEqual(
        idsOf(committed),
        [...earlier.map((t, i): [number, number] => [i + 2, t]), [li + 1, 3], [li + 2, 3]],
        `earlier terms ${earlier}`,
      );
      assert.equal(text(committed[committed.length - 1]), 'some data');
    }
  });

  test('TestFollowerCommitEntry', () => {
    const cases: Array<{ ents: Entry[]; commit: number }> = [
      { ents: [entry(2, 1, 'some data')], commit: 2 },
      { ents: [entry(2, 1, 'some data'), entry(3, 1, 'some data2')], commit: 3 },
      { ents: [entry(2, 1, 'some data2'), entry(3, 1, 'some data')], commit: 3 },
      { ents: [entry(2, 1, 'some data'), entry(3, 1, 'some data2')], commit: 2 },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newRaft('n1', logState(THREE));
      drain(r);
      r.step(msg(MessageType.App, 'n2', 'n1', 1, { index: 1, logTerm: 1, entries: c.ents, commit: c.commit }));
      assert.equal(r.status().commit, c.commit, `case #${i}`);
      const committed = drainCommitted(r);
      assert.deepEqual(committed.map(text), c.ents.slice(0, c.commit - 1).map(text), `case #${i}`);
    }
  });

  test('TestFollowerCommitOnlyWhatTheLeaderVouchedFor', () => {
    // Entries 3 and 4 are left over from an old term; the App only proves the log up to 2 matches
    // the leader's, so the leader's commit index 4 may refer to other entries at 3 and 4.
    const r = newRaft('n1', logState(THREE, [1, 2, 2], { term: 3 }));
    drain(r);
    r.step(msg(MessageType.App, 'n2', 'n1', 3, { index: 2, logTerm: 1, commit: 4 }));
    assert.equal(r.status().commit, 2);
    assert.deepEqual(idsOf(drainCommitted(r)), [[2, 1]]);
  });

  test('TestFollowerCheckMsgApp', () => {
    // Follower log: (1,1) (2,2), commit 1.
    const cases = [
      // match
      { logTerm: 1, index: 1, respIndex: 1, reject: false },
      { logTerm: 2, index: 2, respIndex: 2, reject: false },
      // the entry at index 2 has another term: the hint points at the last entry of term <= 1
      { logTerm: 1, index: 2, respIndex: 2, reject: true, hint: 1, hintTerm: 1 },
      // no entry at index 3: the hint points at the follower's last entry
      { logTerm: 3, index: 3, respIndex: 3, reject: true, hint: 2, hintTerm: 2 },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newRaft('n1', logState(THREE, [2], { term: 2 }));
      drain(r);
      r.step(msg(MessageType.App, 'n2', 'n1', 2, { index: c.index, logTerm: c.logTerm, commit: 1 }));
      const replies = drainMessages(r);
      assert.equal(replies.length, 1, `case #${i}`);
      const m = replies[0];
      assert.deepEqual([m.type, m.to, m.term, m.index, m.reject], [MessageType.AppResp, 'n2', 2, c.respIndex, c.reject], `case #${i}`);
      if (c.reject) assert.deepEqual([m.rejectHint, m.logTerm], [c.hint, c.hintTerm], `case #${i}`);
    }
  });

  test('TestFollowerAppendEntries', () => {
    // Follower log: (1,1) (2,2) at term 2 unless the case says otherwise.
    const cases: Array<{ later?: number[]; index: number; logTerm: number; ents: Entry[]; log: number[]; written: number[] }> = [
      // appends after a match
      { index: 2, logTerm: 2, ents: [entry(3, 3)], log: [1, 2, 3], written: [3] },
      // replaces a conflicting suffix
      { index: 1, logTerm: 1, ents: [entry(2, 3), entry(3, 4)], log: [1, 3, 4], written: [3, 4] },
      { index: 1, logTerm: 1, ents: [entry(2, 3)], log: [1, 3], written: [3] },
      // entries already there: nothing to write
      { index: 1, logTerm: 1, ents: [entry(2, 2)], log: [1, 2], written: [] },
      // Figure 7 (e): the follower's extra term-4 entries go, from the first conflicting one on
      { later: [1, 1, 4, 4, 4, 4], index: 5, logTerm: 4, ents: [entry(6, 5)], log: [1, 1, 1, 4, 4, 5], written: [5] },
      // a stale or reordered App that matches must not cut off entries after it
      { later: [1, 1, 4, 4, 4, 4], index: 3, logTerm: 1, ents: [entry(4, 4)], log: [1, 1, 1, 4, 4, 4, 4], written: [] },
    ];
    for (const [i, c] of cases.entries()) {
      const node = new TestNode('n1', logState(THREE, c.later ?? [2], { term: 5 }), {});
      node.processReady();
      node.readies.length = 0;
      node.raft.step(msg(MessageType.App, 'n2', 'n1', 5, { index: c.index, logTerm: c.logTerm, entries: c.ents, commit: 1 }));
      const replies = node.processReady();
      assert.deepEqual(
        node.logIds().map(([, t]) => t),
        c.log,
        `case #${i}: log`,
      );
      assert.deepEqual(
        node.readies.flatMap((rd) => rd.entries).map((e) => e.term),
        c.written,
        `case #${i}: entries to persist`,
      );
      assert.deepEqual(
        replies.map((m) => [m.type, m.reject, m.index]),
        [[MessageType.AppResp, false, c.index + c.ents.length]],
        `case #${i}: reply`,
      );
    }
  });

  test('TestHeartbeatCommitBoundedByMatch', () => {
    // A heartbeat carries no entries, so it must not tell a follower to commit entries the leader
    // does not know it holds: they may be stale ones from another term.
    const r = newRaft('n1', logState(THREE));
    elect(r);
    const noopApps = ofType(drainMessages(r), MessageType.App);
    r.step(acceptApp(noopApps.find((m) => m.to === 'n2')!));
    drain(r);
    const { commit } = r.status();
    assert.equal(commit, 2);
    r.tick();
    const beats = ofType(drainMessages(r), MessageType.Heartbeat);
    assert.deepEqual(
      beats.map((m) => [m.to, m.commit]),
      [
        ['n2', 2],
        ['n3', 0],
      ],
    );
  });

  test('TestLeaderSyncFollowerLog (Figure 7)', () => {
    // Terms of entries 2.. of each log; entry 1 (term 1) is the bootstrap entry.
    const leaderLog = [1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: Record<string, number[]> = {
      a: [1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 4],
      c: [1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 4, 4, 4, 4],
      f: [1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    for (const [name, followerLog] of Object.entries(followers)) {
      // n3 is not in the network: n1 gets its vote by hand, so n2 may hold the more up-to-date log.
      const net = new Network({
        n1: logState(THREE, leaderLog, { term: 8 }),
        n2: logState(THREE, followerLog, { term: 7 }),
      });
      net.raft('n1').campaign();
      net.settle();
      net.raft('n1').step(msg(MessageType.VoteResp, 'n3', 'n1', 9));
      net.settle();
      assert.equal(net.raft('n1').status().role, 'leader', `(${name})`);
      net.raft('n1').propose(data('x'));
      net.settle();
      net.tick(['n1']); // a heartbeat carries the final commit index
      assert.deepEqual(net.node('n2').logIds(), net.node('n1').logIds(), `(${name}) follower log`);
      assert.equal(net.raft('n2').status().lastIndex, net.raft('n1').status().lastIndex, `(${name})`);
      assert.equal(net.raft('n2').status().commit, net.raft('n1').status().commit, `(${name})`);
      assert.equal(net.raft('n1').status().commit, net.raft('n1').status().lastIndex, `(${name}) leader commit`);
    }
  });
});

describe('§5.4 safety', () => {
  test('TestVoteRequest', () => {
    const cases = [
      { ents: [entry(2, 2)], term: 3 },
      { ents: [entry(2, 2), entry(3, 3)], term: 4 },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newRaft('n1', logState(THREE));
      drain(r);
      r.step(msg(MessageType.App, 'n2', 'n1', c.term - 1, { index: 1, logTerm: 1, entries: c.ents, commit: 1 }));
      drain(r);
      ticks(r, MAX_TICKS);
      const votes = ofType(drainMessages(r), MessageType.Vote);
      const last = c.ents[c.ents.length - 1];
      assert.deepEqual(
        votes.map((m) => [m.to, m.term, m.index, m.logTerm]),
        [
          ['n2', c.term, last.index, last.term],
          ['n3', c.term, last.index, last.term],
        ],
        `case #${i}`,
      );
    }
  });

  test('TestVoter', () => {
    // The voter's log is the bootstrap entry (1,1) followed by `later`; the candidate's last
    // entry is (index, logTerm).
    const cases = [
      // same last term: the longer log wins
      { later: [1], logTerm: 1, index: 2, reject: false },
      { later: [1], logTerm: 1, index: 3, reject: false },
      { later: [1, 1], logTerm: 1, index: 2, reject: true },
      // candidate's last term is higher
      { later: [1], logTerm: 2, index: 2, reject: false },
      { later: [1], logTerm: 2, index: 3, reject: false },
      { later: [1, 1], logTerm: 2, index: 2, reject: false },
      // voter's last term is higher
      { later: [2], logTerm: 1, index: 2, reject: true },
      { later: [2], logTerm: 1, index: 3, reject: true },
      { later: [2, 2], logTerm: 1, index: 2, reject: true },
      { later: [2], logTerm: 1, index: 9, reject: true },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newRaft('n1', logState(['n1', 'n2'], c.later));
      drain(r);
      r.step(msg(MessageType.Vote, 'n2', 'n1', 3, { index: c.index, logTerm: c.logTerm }));
      const replies = drainMessages(r);
      assert.deepEqual(
        replies.map((m) => [m.type, m.term, m.reject]),
        [[MessageType.VoteResp, 3, c.reject]],
        `case #${i}`,
      );
      assert.equal(r.status().vote, c.reject ? NONE : 'n2', `case #${i}`);
    }
  });

  test('TestLeaderOnlyCommitsLogFromCurrentTerm (Figure 8)', () => {
    // Log (1,1) (2,2) in a two-node cluster; the leader is elected at term 3, appends its no-op
    // at 3 and a proposal at 4. Index 2 is on both nodes, but it is from an earlier term.
    const cases = [
      { ackIndex: 1, commit: 1 },
      { ackIndex: 2, commit: 1 },
      { ackIndex: 3, commit: 3 },
      { ackIndex: 4, commit: 4 },
    ];
    for (const c of cases) {
      const r = newRaft('n1', logState(['n1', 'n2'], [2], { term: 2, commit: 1 }));
      drain(r);
      elect(r);
      assert.equal(r.status().term, 3);
      r.propose(data('x'));
      drain(r);
      r.step(msg(MessageType.AppResp, 'n2', 'n1', 3, { index: c.ackIndex }));
      drain(r);
      assert.equal(r.status().commit, c.commit, `acknowledged up to ${c.ackIndex}`);
    }
  });

  test('TestLeaderAppendsNoopOnElection', () => {
    const r = newRaft('n1', logState(THREE, [2], { term: 2, commit: 1 }));
    drain(r);
    elect(r);
    const s = r.status();
    assert.equal(s.lastIndex, 3);
    const readies = drain(r);
    const noop = readies.flatMap((rd) => rd.entries);
    assert.deepEqual(
      noop.map((e) => [e.index, e.term, e.type, e.data.length]),
      [[3, s.term, EntryType.Normal, 0]],
    );
    const apps = ofType(
      readies.flatMap((rd) => rd.messages),
      MessageType.App,
    );
    assert.deepEqual(
      apps.map((m) => m.to),
      ['n2', 'n3'],
    );
    for (const m of apps) assert.deepEqual(idsOf(m.entries).at(-1), [3, s.term]);
  });
});
