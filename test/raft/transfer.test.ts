// Leadership transfer (Raft dissertation §3.10): the leader brings the transferee up to date,
// then sends it TimeoutNow so it campaigns at once; meanwhile proposals are refused, and the
// transfer is abandoned after an election timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/raft/types.ts';
import type { Message } from '../../src/raft/types.ts';
import { ids, logState } from './helpers/fixtures.ts';
import { Network } from './helpers/network.ts';

const data = (s: string) => new TextEncoder().encode(s);
const MIN_TICKS = 10; // electionTicksMin in the test config
const MAX_TICKS = 20; // electionTicksMax in the test config

function electedNetwork(opts: { preVote?: boolean; checkQuorum?: boolean } = {}, learners: string[] = []): Network {
  const voters = ids(3);
  const members = [...voters, ...learners];
  const net = new Network(Object.fromEntries(members.map((id) => [id, logState(voters, [], {}, learners)])), opts);
  net.raft('n1').campaign();
  net.settle();
  assert.equal(net.raft('n1').status().role, 'leader');
  return net;
}

function timeoutNows(sent: Message[]): Message[] {
  return sent.filter((m) => m.type === MessageType.TimeoutNow);
}

for (const checkQuorum of [false, true]) {
  test(`TestLeaderTransferToUpToDateNode (checkQuorum ${checkQuorum})`, () => {
    const net = electedNetwork({ preVote: checkQuorum, checkQuorum });
    const term = net.raft('n1').status().term;
    const res = net.raft('n1').transferLeadership('n2');
    assert.equal(res.ok, true);
    net.settle();
    assert.deepEqual(
      timeoutNows(net.sent).map((m) => [m.from, m.to]),
      [['n1', 'n2']],
    );
    assert.equal(net.raft('n2').status().role, 'leader');
    assert.equal(net.raft('n2').status().term, term + 1);
    assert.equal(net.raft('n1').status().role, 'follower');
    assert.equal(net.raft('n1').status().leaderId, 'n2');

    // And back again (TestLeaderTransferBack).
    assert.equal(net.raft('n2').transferLeadership('n1').ok, true);
    net.settle();
    assert.equal(net.raft('n1').status().role, 'leader');
    assert.equal(net.raft('n1').status().term, term + 2);
  });
}

test('TestLeaderTransferToSlowFollower', () => {
  const net = electedNetwork();
  net.isolate('n3');
  for (let i = 0; i < 5; i++) net.raft('n1').propose(data(`v${i}`));
  net.settle();
  const last = net.raft('n1').status().lastIndex;
  assert.ok(net.raft('n3').status().lastIndex < last);
  net.heal();

  const sentBefore = net.sent.length;
  assert.equal(net.raft('n1').transferLeadership('n3').ok, true);
  net.settle();
  // Catching up may wait for the next heartbeat answer, but must finish before the transfer times out.
  for (let t = 0; t < MIN_TICKS - 1 && net.raft('n3').status().role !== 'leader'; t++) net.tick(['n1']);
  assert.equal(net.raft('n3').status().role, 'leader');

  const during = net.sent.slice(sentBefore);
  const timeoutAt = during.findIndex((m) => m.type === MessageType.TimeoutNow);
  assert.ok(timeoutAt >= 0, 'no TimeoutNow');
  const caughtUp = during.findIndex((m) => m.type === MessageType.AppResp && m.from === 'n3' && !m.reject && m.index === last);
  assert.ok(caughtUp >= 0 && caughtUp < timeoutAt, 'TimeoutNow sent before the transferee had the whole log');
  const values = net.node('n3').stored.entries.map((e) => new TextDecoder().decode(e.data));
  for (let i = 0; i < 5; i++) assert.ok(values.includes(`v${i}`));
});

test('TestLeaderTransferIgnoreProposal', () => {
  const net = electedNetwork();
  net.isolate('n3');
  const before = net.raft('n1').status().lastIndex;
  assert.equal(net.raft('n1').transferLeadership('n3').ok, true);
  net.settle();
  assert.equal(net.raft('n1').status().transferee, 'n3');
  assert.deepEqual(net.raft('n1').propose(data('x')), { ok: false, reason: 'transferring', leaderId: 'n1' });
  const cc = net.raft('n1').proposeConfChange({ type: 'add-learner', id: 'n4', url: 'ws://n4' });
  assert.equal(cc.ok, false);
  assert.equal(net.raft('n1').status().lastIndex, before);
});

test('TestLeaderTransferTimeout', () => {
  const net = electedNetwork();
  net.isolate('n3');
  net.raft('n1').propose(data('n3 lacks this'));
  net.settle();
  assert.equal(net.raft('n1').transferLeadership('n3').ok, true);
  net.tick(['n1'], MIN_TICKS - 1);
  assert.equal(net.raft('n1').status().transferee, 'n3', 'transfer abandoned before an election timeout');
  net.tick(['n1'], MAX_TICKS - MIN_TICKS + 1);
  const s = net.raft('n1').status();
  assert.equal(s.role, 'leader');
  assert.equal(s.transferee, undefined, 'transfer still pending after an election timeout');
  assert.equal(net.raft('n1').propose(data('after')).ok, true);
  // Once n3 catches up, the abandoned transfer must not fire.
  net.heal();
  net.tick(undefined, 3);
  assert.equal(net.raft('n3').status().lastIndex, net.raft('n1').status().lastIndex);
  assert.deepEqual(timeoutNows(net.sent), []);
  assert.equal(net.raft('n1').status().role, 'leader');
});

test('TestLeaderTransferRefused', () => {
  const net = electedNetwork({}, ['n4']);
  const leader = net.raft('n1');
  const cases: Array<[string, string]> = [
    ['n1', 'already-leader'],
    ['n4', 'unknown-member'], // a learner cannot lead
    ['n9', 'unknown-member'],
  ];
  for (const [to, reason] of cases) {
    assert.deepEqual(leader.transferLeadership(to), { ok: false, reason, leaderId: 'n1' }, `transfer to ${to}`);
    assert.equal(leader.status().transferee, undefined);
    assert.equal(leader.propose(data(`after ${to}`)).ok, true, 'a refused transfer blocks proposals');
  }
  assert.deepEqual(net.raft('n2').transferLeadership('n3'), { ok: false, reason: 'not-leader', leaderId: 'n1' });
  net.settle();
  net.tick(undefined, MAX_TICKS);
  assert.deepEqual(timeoutNows(net.sent), []);
  assert.equal(leader.status().role, 'leader');
});
