// How the leader tracks and feeds each follower: probe and replicate states, the inflight
// window, fast backtracking over divergent terms, snapshots for followers behind the log's
// start, and batching of entries into App messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/raft/types.ts';
import type { Message } from '../../src/raft/types.ts';
import type { Raft } from '../../src/raft/raft.ts';
import { acceptApp, drain, drainMessages, elect, electAndCommitNoop, ids, logState, msg, newRaft } from './helpers/fixtures.ts';
import type { TestOptions } from './helpers/fixtures.ts';
import { Network } from './helpers/network.ts';

const data = (s: string) => new TextEncoder().encode(s);

function appsTo(msgs: Message[], to: string): Message[] {
  return msgs.filter((m) => m.type === MessageType.App && m.to === to);
}

/** A leader of three whose followers acknowledged its no-op and so are in the replicate state. */
function replicatingLeader(opts: TestOptions = {}): Raft {
  const r = newRaft('n1', logState(ids(3)), opts);
  electAndCommitNoop(r);
  assert.equal(r.status().progress!.n2.state, 'replicate');
  return r;
}

test('TestProgressProbeToReplicate', () => {
  const r = newRaft('n1', logState(ids(3)));
  elect(r);
  const noop = r.status().lastIndex;
  assert.deepEqual(
    (({ state, match, next }) => ({ state, match, next }))(r.status().progress!.n2),
    { state: 'probe', match: 0, next: noop },
  );
  const apps = drainMessages(r);
  r.step(acceptApp(appsTo(apps, 'n2')[0]));
  drain(r);
  const pr = r.status().progress!.n2;
  assert.deepEqual({ state: pr.state, match: pr.match, next: pr.next }, { state: 'replicate', match: noop, next: noop + 1 });
  assert.equal(r.status().progress!.n3.state, 'probe', 'n3 has not answered yet');
});

test('TestProgressProbePaused', () => {
  // In the probe state the leader sends one App and waits for its answer (or a heartbeat's).
  const r = newRaft('n1', logState(ids(3)));
  elect(r);
  assert.equal(appsTo(drainMessages(r), 'n2').length, 1);
  for (let i = 0; i < 3; i++) r.propose(data(`p${i}`));
  assert.deepEqual(appsTo(drainMessages(r), 'n2'), [], 'probe sent more than one App');

  r.tick(); // heartbeat
  const beat = drainMessages(r).find((m) => m.type === MessageType.Heartbeat && m.to === 'n2')!;
  r.step(msg(MessageType.HeartbeatResp, 'n2', 'n1', beat.term));
  assert.equal(appsTo(drainMessages(r), 'n2').length, 1, 'a heartbeat answer resumes probing');
});

test('TestProgressInflightLimit', () => {
  const r = replicatingLeader({ maxInflight: 3 });
  const sent: Message[] = [];
  for (let i = 0; i < 5; i++) {
    r.propose(data(`p${i}`));
    sent.push(...appsTo(drainMessages(r), 'n2'));
  }
  assert.equal(sent.length, 3, 'more Apps in flight than maxInflight');
  assert.equal(r.status().progress!.n2.inflight, 3);

  // One acknowledgement frees one slot: the rest of the log goes out in one App.
  r.step(acceptApp(sent[0]));
  const next = appsTo(drainMessages(r), 'n2');
  assert.equal(next.length, 1);
  assert.deepEqual(
    next[0].entries.map((e) => new TextDecoder().decode(e.data)),
    ['p3', 'p4'],
  );
  assert.equal(r.status().progress!.n2.inflight, 3);
});

test('TestProgressRecoversFromLostAppsOnHeartbeat', () => {
  const r = replicatingLeader({ maxInflight: 2 });
  for (let i = 0; i < 3; i++) {
    r.propose(data(`lost${i}`));
    drain(r); // these Apps never arrive
  }
  assert.equal(r.status().progress!.n2.inflight, 2);
  r.tick();
  const beat = drainMessages(r).find((m) => m.type === MessageType.Heartbeat && m.to === 'n2')!;
  r.step(msg(MessageType.HeartbeatResp, 'n2', 'n1', beat.term));
  const apps = appsTo(drainMessages(r), 'n2');
  assert.ok(apps.length >= 1, 'a follower whose Apps were lost is never sent another');
});

/**
 * Elects n1 over `leaderLog` against n2 holding `followerLog` (terms of entries 2..) and counts
 * the rejections n2 sends before its log matches n1's.
 */
function rejectionsToSync(leaderLog: number[], followerLog: number[]): number {
  const leaderTerm = Math.max(...leaderLog, ...followerLog);
  const net = new Network({
    n1: logState(ids(3), leaderLog, { term: leaderTerm }),
    n2: logState(ids(3), followerLog, { term: leaderTerm }),
  });
  net.raft('n1').campaign();
  net.settle();
  net.raft('n1').step(msg(MessageType.VoteResp, 'n3', 'n1', leaderTerm + 1)); // n3 is not in the network
  net.settle();
  assert.equal(net.raft('n1').status().role, 'leader');
  assert.deepEqual(net.node('n2').logIds(), net.node('n1').logIds(), 'logs did not converge');
  return net.sent.filter((m) => m.type === MessageType.AppResp && m.reject).length;
}

const run = (term: number, n: number) => Array<number>(n).fill(term);

test('TestFastLogRejection', () => {
  // Both logs diverge after index 1 over 120 entries; the follower's are in 2 or 3 terms, the
  // leader's in 3. One entry per round trip would need ~120 rejections; skipping a term per
  // round trip needs a handful.
  const cases: Array<{ leader: number[]; follower: number[]; max: number }> = [
    { leader: [...run(2, 40), ...run(4, 40), ...run(6, 40)], follower: [...run(3, 60), ...run(5, 60)], max: 6 },
    // the follower's log is longer than the leader's
    { leader: [...run(2, 40), ...run(4, 40), ...run(7, 40)], follower: [...run(3, 50), ...run(5, 50), ...run(6, 100)], max: 8 },
    // a common prefix, then the follower's extra entries of an old term
    { leader: [...run(2, 40), ...run(4, 80)], follower: [...run(2, 60), ...run(3, 150)], max: 4 },
  ];
  for (const [i, c] of cases.entries()) {
    const rejections = rejectionsToSync(c.leader, c.follower);
    assert.ok(rejections >= 1, `case #${i}: the logs never conflicted`);
    assert.ok(rejections <= c.max, `case #${i}: ${rejections} rejections to sync, expected at most ${c.max}`);
  }
});

test('TestProgressSnapshot', () => {
  const net = new Network(Object.fromEntries(ids(3).map((id) => [id, logState(ids(3))])));
  net.raft('n1').campaign();
  net.settle();
  const leader = net.raft('n1');
  net.isolate('n3');
  for (let i = 0; i < 5; i++) leader.propose(data(`v${i}`));
  net.settle();
  const applied = leader.status().applied;
  assert.equal(applied, leader.status().lastIndex);
  leader.compact(applied, data('state at ' + applied));
  assert.equal(leader.status().firstIndex, applied + 1);

  // n3 comes back needing entries the leader no longer has; the snapshot is lost on the way.
  net.heal();
  net.drop = (m) => m.type === MessageType.Snap;
  net.tick(['n1']);
  const snaps = net.sent.filter((m) => m.type === MessageType.Snap);
  assert.equal(snaps.length, 1);
  assert.equal(snaps[0].to, 'n3');
  assert.equal(snaps[0].snapshot!.meta.index, applied);
  assert.equal(leader.status().progress!.n3.state, 'snapshot');
  // While the snapshot is in flight, nothing else is sent to n3.
  leader.propose(data('during'));
  net.settle();
  net.tick(['n1'], 3);
  assert.equal(net.sent.filter((m) => m.type === MessageType.Snap).length, 1);
  assert.equal(leader.status().progress!.n3.state, 'snapshot');

  leader.reportSnapshot('n3', false);
  assert.equal(leader.status().progress!.n3.state, 'probe');

  // Delivered this time: n3 installs it and catches up from there.
  net.drop = () => false;
  for (let t = 0; t < 5 && net.raft('n3').status().lastIndex < leader.status().lastIndex; t++) {
    net.tick(['n1']);
    for (const m of net.sent.filter((s) => s.type === MessageType.Snap)) leader.reportSnapshot(m.to, true);
  }
  const n3 = net.node('n3');
  assert.equal(n3.stored.snapshot?.meta.index, applied);
  assert.equal(new TextDecoder().decode(n3.stored.snapshot!.data), 'state at ' + applied);
  assert.deepEqual(n3.logIds(), net.node('n1').logIds().filter(([i]) => i > applied));
  assert.equal(leader.status().progress!.n3.state, 'replicate');
  assert.equal(leader.status().progress!.n3.match, leader.status().lastIndex);
});

test('TestProgressSnapshotReportedBackToProbe', () => {
  const net = new Network(Object.fromEntries(ids(3).map((id) => [id, logState(ids(3))])));
  net.raft('n1').campaign();
  net.settle();
  const leader = net.raft('n1');
  net.isolate('n3');
  leader.propose(data('v'));
  net.settle();
  const applied = leader.status().applied;
  leader.compact(applied, data('snap'));
  net.heal();
  net.drop = (m) => m.type === MessageType.Snap;
  net.tick(['n1']);
  assert.equal(leader.status().progress!.n3.state, 'snapshot');
  leader.reportSnapshot('n3', true);
  const pr = leader.status().progress!.n3;
  assert.equal(pr.state, 'probe');
  assert.equal(pr.next, applied + 1, 'after a delivered snapshot, probe right after it');
});

test('TestBatchingOneAppPerFollower', () => {
  const r = replicatingLeader();
  const first = r.status().lastIndex + 1;
  for (let i = 0; i < 20; i++) r.propose(data(`p${i}`));
  const readies = drain(r);
  assert.equal(readies.length, 1);
  for (const to of ['n2', 'n3']) {
    const apps = appsTo(readies[0].messages, to);
    assert.equal(apps.length, 1, `${apps.length} Apps to ${to}`);
    assert.equal(apps[0].index, first - 1);
    assert.deepEqual(
      apps[0].entries.map((e) => e.index),
      Array.from({ length: 20 }, (_, i) => first + i),
    );
  }
});

test('TestBatchingBoundedByMaxBytesPerMsg', () => {
  const r = replicatingLeader({ maxBytesPerMsg: 250 });
  const first = r.status().lastIndex + 1;
  const payload = (i: number) => data(String(i).padStart(100, '.'));
  for (let i = 0; i < 20; i++) r.propose(payload(i));
  const apps = appsTo(drainMessages(r), 'n2');
  assert.ok(apps.length >= 10, `only ${apps.length} Apps for 2000 bytes at 250 bytes per message`);
  let expected = first;
  for (const m of apps) {
    const bytes = m.entries.reduce((sum, e) => sum + e.data.length, 0);
    assert.ok(bytes <= 250, `an App with ${bytes} bytes of entries`);
    assert.equal(m.index, expected - 1);
    for (const e of m.entries) assert.equal(e.index, expected++);
  }
  assert.equal(expected, first + 20, 'not every entry was sent');
});
