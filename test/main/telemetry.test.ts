// Telemetry fed by hand: election history and leaderless time, lag, rates, snapshots, roles; the
// bound on memory under a million events; the bound on how often subscribers are told.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdminEvent } from '../../src/shared/protocol/admin-events.ts';
import type { NodeStatus } from '../../src/shared/protocol/node-status.ts';
import type { TelemetryUpdate } from '../../src/shared/telemetry.ts';
import type { ClusterEvent } from '../../src/main/connection/cluster-connection.ts';
import { MAX_TRACKED_MEMBERS, Telemetry, type TelemetryOptions } from '../../src/main/telemetry/telemetry.ts';
import { fakeStatus } from './support/fake-node.ts';

function telemetry(options?: TelemetryOptions): Telemetry {
  return new Telemetry({ onEvent: () => () => {}, memberViews: () => [] }, options);
}

function status(id: string, overrides: Partial<NodeStatus> = {}): NodeStatus {
  return fakeStatus({ id, ...overrides }) as unknown as NodeStatus;
}

function node(memberId: string, at: number, event: AdminEvent): ClusterEvent {
  return { kind: 'node', memberId, url: `ws://127.0.0.1:${memberId.slice(1)}`, receivedAt: at, event };
}

function statusEvent(s: NodeStatus, at: number): ClusterEvent {
  return node(s.id, at, { event: 'status', node: s.id, at, status: s });
}

function connection(memberId: string, at: number, state: 'connected' | 'unreachable', error: string | null = null): ClusterEvent {
  return { kind: 'connection', memberId, url: `ws://127.0.0.1:${memberId.slice(1)}`, receivedAt: at, state, error };
}

describe('Telemetry', () => {
  it('records an election: candidates, winner, votes, campaign and leaderless time', () => {
    const t = telemetry();
    t.ingest(connection('n1', 0, 'connected'));
    t.ingest(statusEvent(status('n1', { role: 'leader', term: 2, leaderId: 'n1' }), 100));
    assert.equal(t.summary().leaderId, 'n1');

    t.ingest(connection('n1', 1_000, 'unreachable', 'connection closed (code 1006)'));
    assert.equal(t.summary().leaderId, null);
    assert.equal(t.summary().leaderlessSince, 1_000);
    t.ingest(node('n2', 1_150, { event: 'election', node: 'n2', at: 1_150, phase: 'started', term: 3, candidate: 'n2', votes: 1, durationMs: 0 }));
    t.ingest(node('n3', 1_160, { event: 'election', node: 'n3', at: 1_160, phase: 'started', term: 3, candidate: 'n3', votes: 1, durationMs: 0 }));
    t.ingest(node('n2', 1_300, { event: 'election', node: 'n2', at: 1_300, phase: 'won', term: 3, candidate: 'n2', votes: 2, durationMs: 150 }));

    const summary = t.summary();
    assert.equal(summary.leaderId, 'n2');
    assert.equal(summary.term, 3);
    assert.equal(summary.leaderlessSince, null);
    const n1 = summary.members.find((m) => m.id === 'n1');
    assert.equal(n1?.connection, 'unreachable');
    assert.equal(n1?.lastError, 'connection closed (code 1006)');
    assert.deepEqual(t.snapshot().elections.at(-1), {
      term: 3,
      candidates: ['n2', 'n3'],
      winner: 'n2',
      votes: 2,
      startedAt: 1_000,
      endedAt: 1_300,
      campaignMs: 150,
      leaderlessMs: 300,
    });
  });

  it('ignores an old leader that comes back in an older term', () => {
    const t = telemetry();
    t.ingest(statusEvent(status('n1', { role: 'leader', term: 2 }), 0));
    t.ingest(node('n2', 10, { event: 'role', node: 'n2', at: 10, role: 'leader', previousRole: 'candidate', term: 3, leaderId: 'n2' }));
    t.ingest(statusEvent(status('n1', { role: 'leader', term: 2 }), 20));
    assert.equal(t.summary().leaderId, 'n2');
    assert.equal(t.summary().term, 3);
  });

  it('takes lag per follower from the leader status, and rates from successive samples', () => {
    const t = telemetry({ sampleIntervalMs: 250 });
    const progress = { n2: { match: 95, next: 96, state: 'replicate' as const, inflight: 1, lagEntries: 5, lastContactMs: 20 } };
    t.ingest(statusEvent(status('n1', { role: 'leader', term: 2, commitIndex: 10, appliedIndex: 10, lastIndex: 10 }), 1_000));
    t.ingest(statusEvent(status('n1', { role: 'leader', term: 2, commitIndex: 60, appliedIndex: 50, lastIndex: 100, progress }), 1_100));
    t.ingest(statusEvent(status('n1', { role: 'leader', term: 2, commitIndex: 110, appliedIndex: 90, lastIndex: 100, progress, wal: { bytes: 4096, segments: 1 } }), 2_000));
    t.ingest(statusEvent(status('n2', { role: 'follower', term: 2, leaderId: 'n1', commitIndex: 100 }), 2_000));

    const summary = t.summary();
    const leader = summary.members.find((m) => m.id === 'n1');
    assert.equal(leader?.commitIndex, 110, 'the latest status, sampled or not');
    assert.equal(leader?.walBytes, 4096);
    assert.equal(leader?.commitRate, 100, '(110 - 10) entries over 1 s: the 1100 ms status came too soon to be a sample');
    assert.equal(leader?.applyRate, 80);
    assert.equal(summary.commitRate, 100);
    assert.deepEqual(summary.members.find((m) => m.id === 'n2')?.lag, { lagEntries: 5, lastContactMs: 20 });
    const full = t.snapshot();
    assert.equal(full.samples.n1.length, 2);
    assert.deepEqual(
      full.lag.n2.map((s) => [s.at, s.lagEntries, s.leaderId]),
      [
        [1_100, 5, 'n1'],
        [2_000, 5, 'n1'],
      ],
    );
  });

  it('keeps snapshots per member and role changes only when the role changes', () => {
    const t = telemetry();
    t.ingest(statusEvent(status('n1', { role: 'follower', term: 1 }), 0));
    t.ingest(statusEvent(status('n1', { role: 'follower', term: 1 }), 300));
    t.ingest(node('n1', 400, { event: 'role', node: 'n1', at: 400, role: 'candidate', previousRole: 'follower', term: 2, leaderId: null }));
    t.ingest(node('n1', 500, { event: 'snapshot', node: 'n1', at: 500, action: 'created', index: 100, term: 2, bytes: 2048, durationMs: 12 }));
    const full = t.snapshot();
    assert.deepEqual(full.roles, [
      { at: 0, memberId: 'n1', role: 'follower', term: 1 },
      { at: 400, memberId: 'n1', role: 'candidate', term: 2 },
    ]);
    assert.deepEqual(full.snapshots.n1, [{ at: 500, memberId: 'n1', action: 'created', index: 100, term: 2, bytes: 2048, durationMs: 12 }]);
  });

  it('stays within its bounds after a million events', () => {
    const capacity = 100;
    const t = telemetry({ capacity, electionCapacity: 50, sampleIntervalMs: 0 });
    // Five members at a time; every 20,000 events five new ones take over: 250 ids in all.
    const base = status('n1');
    for (let i = 0; i < 1_000_000; i++) {
      const id = `n${1 + (i % 5) + 5 * Math.floor(i / 20_000)}`;
      const term = 1 + Math.floor(i / 1000);
      switch (i % 5) {
        case 0:
          t.ingest(statusEvent({ ...base, id, role: 'leader', term, commitIndex: i, progress: { n1: { match: i, next: i + 1, state: 'replicate', inflight: 0, lagEntries: 1, lastContactMs: 1 } } }, i));
          break;
        case 1:
          t.ingest(node(id, i, { event: 'election', node: id, at: i, phase: 'started', term: term + 1, candidate: id, votes: 1, durationMs: 0 }));
          break;
        case 2:
          t.ingest(node(id, i, { event: 'role', node: id, at: i, role: i % 2 ? 'follower' : 'candidate', previousRole: 'follower', term, leaderId: null }));
          break;
        case 3:
          t.ingest(node(id, i, { event: 'snapshot', node: id, at: i, action: 'created', index: i, term, bytes: i, durationMs: 1 }));
          break;
        default:
          t.ingest(connection(id, i, i % 2 ? 'connected' : 'unreachable'));
      }
    }
    const full = t.snapshot();
    assert.ok(full.summary.members.length <= MAX_TRACKED_MEMBERS, `${full.summary.members.length} members`);
    for (const perMember of [full.samples, full.lag, full.snapshots]) {
      assert.ok(Object.keys(perMember).length <= MAX_TRACKED_MEMBERS);
      for (const items of Object.values(perMember)) assert.ok(items.length <= capacity, `${items.length} items`);
    }
    assert.equal(full.roles.length, capacity);
    assert.equal(full.elections.length, 50);
    assert.equal(full.summary.term, 1000, 'still following the newest data');
  });

  it('tells subscribers at most 10 times a second, however fast events arrive', { timeout: 10_000 }, async () => {
    const t = telemetry({ sampleIntervalMs: 0 });
    const updates: { at: number; update: TelemetryUpdate }[] = [];
    const stop = t.subscribe((update) => updates.push({ at: performance.now(), update }));
    const started = performance.now();
    let i = 0;
    // A burst: 200 events every millisecond or so, for 800 ms.
    while (performance.now() - started < 800) {
      for (let k = 0; k < 200; k++, i++) t.ingest(statusEvent(status('n1', { role: 'leader', term: 1, commitIndex: i }), Date.now()));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    stop();
    t.close();

    assert.equal(updates[0].update.full, true);
    assert.ok(updates.slice(1).every(({ update }) => !update.full));
    assert.ok(updates.length >= 3, `only ${updates.length} updates`);
    for (let k = 1; k < updates.length; k++) {
      const gap = updates[k].at - updates[k - 1].at;
      assert.ok(gap >= 95, `updates ${k - 1} and ${k} came ${gap.toFixed(1)} ms apart`);
    }
    const elapsedSeconds = (updates.at(-1)!.at - started) / 1000;
    assert.ok(updates.length <= Math.ceil(elapsedSeconds * 10) + 1, `${updates.length} updates in ${elapsedSeconds.toFixed(2)} s`);
    assert.equal(updates.at(-1)?.update.summary.members[0].commitIndex, i - 1, 'the last update carries the latest state');
    const samples = updates.slice(1).reduce((n, { update }) => n + (update.samples.n1?.length ?? 0), 0);
    assert.ok(samples > 0, 'deltas carry the new samples');
  });

  it('sends a delta with only what changed, and nothing when nothing changed', { timeout: 5_000 }, async () => {
    const t = telemetry({ sampleIntervalMs: 0 });
    t.ingest(statusEvent(status('n1', { commitIndex: 1 }), 1));
    const updates: TelemetryUpdate[] = [];
    t.subscribe((update) => updates.push(update));
    await new Promise((resolve) => setTimeout(resolve, 150));
    t.ingest(statusEvent(status('n1', { commitIndex: 2 }), 2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.close();
    assert.equal(updates.length, 2);
    assert.equal(updates[0].full, true);
    assert.deepEqual(updates[0].samples.n1.map((s) => s.commitIndex), [1]);
    assert.deepEqual(updates[1].samples.n1.map((s) => s.commitIndex), [2]);
    assert.deepEqual(updates[1].roles, []);
  });
});
