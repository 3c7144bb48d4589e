// The event log written from telemetry updates: each election's winner told once, roles other than
// leader, snapshots, and members lost and found (but not the first connect).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterLog, MAX_LOG_ENTRIES } from '../../src/main/cluster-log.ts';
import type { ElectionRecord, MemberConnectionState, MemberSummary, TelemetryUpdate } from '../../src/shared/telemetry.ts';

function member(id: string, connection: MemberConnectionState, lastError: string | null = null): MemberSummary {
  return {
    id, url: `ws://127.0.0.1:700${id.slice(1)}`, connection, lastError, role: 'follower', term: 2, leaderId: 'n1',
    commitIndex: 0, appliedIndex: 0, lastIndex: 0, walBytes: 0, snapshotBytes: 0, commitRate: 0, applyRate: 0, lag: null, statusAt: null,
  };
}

function election(term: number, winner: string | null, at: number): ElectionRecord {
  return { term, candidates: winner ? [winner] : ['n2'], winner, votes: winner ? 2 : null, startedAt: at - 50, endedAt: winner ? at : null, campaignMs: 20, leaderlessMs: winner ? 50 : null };
}

function update(at: number, parts: Partial<TelemetryUpdate>, members: MemberSummary[] = []): TelemetryUpdate {
  return {
    full: false, samples: {}, lag: {}, snapshots: {}, elections: [], roles: [],
    summary: { at, leaderId: 'n1', term: 2, leaderlessSince: null, commitRate: 0, members },
    ...parts,
  };
}

describe('ClusterLog', () => {
  it('tells each election once its winner is known, once', () => {
    const log = new ClusterLog();
    assert.deepEqual(log.entries(update(100, { elections: [election(2, null, 100)] })), []);
    assert.deepEqual(log.entries(update(200, { elections: [election(2, 'n1', 200)] })), [
      { at: 200, memberId: 'n1', kind: 'election', message: 'n1 won the election for term 2 with 2 votes, 50 ms without a leader' },
    ]);
    assert.deepEqual(log.entries(update(300, { elections: [election(2, 'n1', 200)] })), []);
  });

  it('tells roles but leader, and snapshots, oldest first', () => {
    const log = new ClusterLog();
    const entries = log.entries(
      update(500, {
        roles: [
          { at: 30, memberId: 'n2', role: 'precandidate', term: 1 },
          { at: 10, memberId: 'n1', role: 'leader', term: 2 },
        ],
        snapshots: {
          n1: [{ at: 20, memberId: 'n1', action: 'created', index: 1000, term: 2, bytes: 2048, durationMs: 12.4 }],
          n3: [{ at: 40, memberId: 'n3', action: 'installed', index: 1000, term: 2, bytes: 2048, durationMs: 3, peer: 'n1' }],
        },
      }),
    );
    assert.deepEqual(
      entries.map((e) => [e.at, e.kind, e.message]),
      [
        [20, 'snapshot', 'n1 took a snapshot at index 1000 (2.0 KiB, 12 ms)'],
        [30, 'role', 'n2 is a precandidate (term 1)'],
        [40, 'snapshot', 'n3 installed a snapshot at index 1000 from n1 (2.0 KiB, 3 ms)'],
      ],
    );
  });

  it('tells a member lost and found again, but not connecting at first', () => {
    const log = new ClusterLog();
    assert.deepEqual(log.entries(update(1, {}, [member('n1', 'connecting'), member('n2', 'connected')])), []);
    assert.deepEqual(log.entries(update(2, {}, [member('n1', 'connected'), member('n2', 'connected')])), []);
    assert.deepEqual(
      log.entries(update(3, {}, [member('n1', 'connected'), member('n2', 'unreachable', 'connection refused')])).map((e) => e.message),
      ['n2 is unreachable: connection refused'],
    );
    assert.deepEqual(
      log.entries(update(4, {}, [member('n1', 'connected'), member('n2', 'connected')])).map((e) => e.message),
      ['n2 is reachable again'],
    );
  });

  it('keeps only the latest entries of a long history', () => {
    const roles = Array.from({ length: MAX_LOG_ENTRIES + 50 }, (_, i) => ({ at: i, memberId: 'n2', role: 'follower' as const, term: i }));
    const entries = new ClusterLog().entries(update(1000, { full: true, roles }));
    assert.equal(entries.length, MAX_LOG_ENTRIES);
    assert.equal(entries[0].at, 50);
    assert.equal(entries.at(-1)?.at, MAX_LOG_ENTRIES + 49);
  });
});
