// ReadIndex (Raft dissertation §6.4): a read is served at the commit index the leader recorded,
// once a heartbeat quorum proves it still leads and once it has committed an entry of its term.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/raft/types.ts';
import type { Message, ReadState } from '../../src/raft/types.ts';
import type { Raft } from '../../src/raft/raft.ts';
import { acceptApp, drain, elect, electAndCommitNoop, ids, logState, msg, newRaft } from './helpers/fixtures.ts';
import { Network } from './helpers/network.ts';

const data = (s: string) => new TextEncoder().encode(s);

/** Answers every heartbeat in `msgs` sent to one of `from`, echoing its context. */
function ackHeartbeats(r: Raft, msgs: Message[], from: string[]): void {
  for (const m of msgs) {
    if (m.type === MessageType.Heartbeat && from.includes(m.to)) {
      r.step(msg(MessageType.HeartbeatResp, m.to, m.from, m.term, { context: m.context }));
    }
  }
}

function take(r: Raft): { messages: Message[]; readStates: ReadState[] } {
  const readies = drain(r);
  return { messages: readies.flatMap((rd) => rd.messages), readStates: readies.flatMap((rd) => rd.readStates) };
}

function electedNetwork(size: number, opts: { preVote?: boolean; checkQuorum?: boolean } = {}): Network {
  const members = ids(size);
  const net = new Network(Object.fromEntries(members.map((id) => [id, logState(members)])), opts);
  net.raft('n1').campaign();
  net.settle();
  assert.equal(net.raft('n1').status().role, 'leader');
  return net;
}

test('TestReadIndexLeaderWaitsForHeartbeatQuorum', () => {
  const r = newRaft('n1', logState(ids(5)));
  electAndCommitNoop(r);
  const commit = r.status().commit;
  assert.deepEqual(r.readIndex('r1'), { ok: true, index: commit, term: r.status().term });

  const round = take(r);
  assert.deepEqual(round.readStates, [], 'answered before any heartbeat came back');
  // One heartbeat round to every follower, marked so the leader can tell its acks apart.
  const beats = round.messages.filter((m) => m.type === MessageType.Heartbeat);
  assert.deepEqual(beats.map((m) => m.to).sort(), ['n2', 'n3', 'n4', 'n5']);
  const roundId = beats[0].context;
  assert.notEqual(roundId, '');
  for (const m of beats) assert.equal(m.context, roundId);

  // Acks of no round or another round, or twice from one follower, prove nothing about this read.
  r.step(msg(MessageType.HeartbeatResp, 'n2', 'n1', r.status().term));
  r.step(msg(MessageType.HeartbeatResp, 'n3', 'n1', r.status().term, { context: `${roundId}0` }));
  r.step(msg(MessageType.HeartbeatResp, 'n4', 'n1', r.status().term, { context: 'r1' }));
  ackHeartbeats(r, beats, ['n2']);
  ackHeartbeats(r, beats, ['n2']);
  assert.deepEqual(take(r).readStates, [], 'answered without a quorum');

  ackHeartbeats(r, beats, ['n3']);
  assert.deepEqual(take(r).readStates, [{ index: commit, context: 'r1' }]);
  ackHeartbeats(r, beats, ['n4', 'n5']);
  assert.deepEqual(take(r).readStates, [], 'answered twice');
});

test('TestReadIndexWaitsForCommitInLeaderTerm', () => {
  // The previous leader's entry at index 2 may be committed without this leader knowing it.
  const r = newRaft('n1', logState(ids(3), [1], { term: 1, commit: 1 }));
  drain(r);
  elect(r);
  const noopIndex = r.status().lastIndex;
  const noopApps = take(r).messages.filter((m) => m.type === MessageType.App);
  r.readIndex('early');

  // A full heartbeat quorum is not enough while the no-op is uncommitted.
  for (let i = 0; i < 3; i++) {
    r.tick();
    const { messages, readStates } = take(r);
    assert.deepEqual(readStates, [], 'read served before the leader committed an entry of its term');
    ackHeartbeats(r, messages, ['n2', 'n3']);
    assert.deepEqual(take(r).readStates, [], 'read served before the leader committed an entry of its term');
  }

  for (const m of noopApps) r.step(acceptApp(m));
  let served: ReadState[] = [];
  for (let i = 0; i < 3 && served.length === 0; i++) {
    const { messages, readStates } = take(r);
    served.push(...readStates);
    ackHeartbeats(r, messages, ['n2', 'n3']);
    served.push(...take(r).readStates);
    if (served.length === 0) r.tick();
  }
  assert.equal(r.status().commit, noopIndex);
  assert.deepEqual(served, [{ index: noopIndex, context: 'early' }]);
});

test('TestReadIndexFollowerForwarded', () => {
  const net = electedNetwork(3);
  net.raft('n1').propose(data('x'));
  net.settle();
  const commit = net.raft('n1').status().commit;

  assert.equal(net.raft('n2').readIndex('f1').ok, true);
  net.settle();
  assert.deepEqual(net.node('n2').readStates, [{ index: commit, context: 'f1' }]);
  assert.deepEqual(net.node('n1').readStates, [], 'the leader served a follower read as its own');
  const asked = net.sent.findIndex((m) => m.type === MessageType.ReadIndex);
  const answered = net.sent.findIndex((m) => m.type === MessageType.ReadIndexResp);
  assert.deepEqual([net.sent[asked].from, net.sent[asked].to, net.sent[asked].context], ['n2', 'n1', 'f1']);
  assert.deepEqual([net.sent[answered].from, net.sent[answered].to, net.sent[answered].context], ['n1', 'n2', 'f1']);
  assert.ok(
    net.sent.slice(asked, answered).some((m) => m.type === MessageType.HeartbeatResp && m.context !== ''),
    'the leader answered a forwarded read without a heartbeat round',
  );
});

test('TestReadIndexSameContextFromDifferentNodes', () => {
  // Each node names its own reads (say, with a counter), so two nodes can use the same name.
  const net = electedNetwork(3);
  const commit = net.raft('n1').status().commit;
  net.raft('n2').readIndex('1');
  net.raft('n3').readIndex('1');
  net.raft('n1').readIndex('1');
  net.settle();
  assert.deepEqual(net.node('n1').readStates, [{ index: commit, context: '1' }]);
  assert.deepEqual(net.node('n2').readStates, [{ index: commit, context: '1' }], 'n2 never got an answer');
  assert.deepEqual(net.node('n3').readStates, [{ index: commit, context: '1' }], 'n3 never got an answer');
});

test('TestReadIndexFollowerWithoutLeaderRefused', () => {
  const r = newRaft('n2', logState(ids(3)));
  drain(r);
  assert.deepEqual(r.readIndex('lost'), { ok: false, reason: 'not-leader', leaderId: '' });
  assert.deepEqual(take(r).messages, []);
});

test('TestReadIndexSingleNode', () => {
  const r = newRaft('n1', logState(['n1']));
  electAndCommitNoop(r);
  const commit = r.status().commit;
  r.readIndex('solo');
  assert.equal(r.hasReady(), true);
  const rd = r.ready();
  r.advance();
  assert.deepEqual(rd.readStates, [{ index: commit, context: 'solo' }]);
  assert.deepEqual(rd.messages, []);
});

for (const checkQuorum of [false, true]) {
  test(`TestReadIndexStaleLeaderNeverAnswers (checkQuorum ${checkQuorum})`, () => {
    const net = electedNetwork(3, { preVote: checkQuorum, checkQuorum });
    net.isolate('n1');
    assert.equal(net.raft('n1').readIndex('stale').ok, true);

    // n2 and n3 elect a new leader and commit a write the old leader never sees.
    let newLeader: Raft | undefined;
    for (let t = 0; t < 200 && !newLeader; t++) {
      net.tick();
      newLeader = [net.raft('n2'), net.raft('n3')].find((r) => r.status().role === 'leader');
    }
    assert.ok(newLeader, 'no new leader');
    newLeader.propose(data('w'));
    net.settle();
    const writeIndex = newLeader.status().commit;
    assert.equal(newLeader.status().lastIndex, writeIndex);

    net.tick(undefined, 40);
    assert.deepEqual(net.node('n1').readStates, [], 'a partitioned leader served a read');

    net.heal();
    net.tick(undefined, 40);
    assert.notEqual(net.raft('n1').status().role, 'leader');
    // Even leading again later, n1 must not answer the read it took while it was stale.
    assert.equal(newLeader.transferLeadership('n1').ok, true);
    net.settle();
    assert.equal(net.raft('n1').status().role, 'leader');
    net.tick(undefined, 5);
    for (const rs of net.node('n1').readStates) {
      assert.ok(rs.index >= writeIndex, `stale read state ${JSON.stringify(rs)} misses the write at ${writeIndex}`);
    }
  });
}
