// Election history, one record per term, from what the members report: campaigns (election
// events), leaders (won elections, role events, statuses) and losses of the leader (it stepped
// down, or this side lost its connection to it). Also the cluster's current leader and since when
// it has had none.
import type { ElectionRecord } from '../../shared/telemetry.ts';
import { RingBuffer } from './ring-buffer.ts';

/** More candidates in one term than any real cluster has members means a bad feed; keep the first. */
const MAX_CANDIDATES = 16;

interface Tracked {
  record: ElectionRecord;
  /** The tracker's version when the record last changed. */
  changed: number;
}

export class ElectionTracker {
  private readonly records: RingBuffer<Tracked>;
  private readonly byTerm = new Map<number, Tracked>();
  private leader: { id: string; term: number } | null = null;
  private since: number | null = null;
  private changes = 0;

  constructor(capacity: number) {
    this.records = new RingBuffer(capacity);
  }

  /** The leader, unless it is known to be lost. */
  get leaderId(): string | null {
    return this.since === null ? (this.leader?.id ?? null) : null;
  }

  /** The latest leader's term; 0 before any. */
  get term(): number {
    return this.leader?.term ?? 0;
  }

  /** Since when the cluster has had no leader; null while it has one (or none was ever lost). */
  get leaderlessSince(): number | null {
    return this.since;
  }

  /** Grows with every change; pass it back to changedSince. */
  get version(): number {
    return this.changes;
  }

  campaignStarted(term: number, candidate: string, at: number): void {
    if (this.leader && term <= this.leader.term) return;
    this.since ??= at;
    const tracked = this.recordFor(term, this.since);
    addCandidate(tracked.record, candidate);
    this.touch(tracked);
  }

  campaignWon(term: number, candidate: string, votes: number, durationMs: number, at: number): void {
    if (this.leader && term < this.leader.term) return;
    const tracked = this.recordFor(term, this.since ?? at);
    tracked.record.votes = votes;
    tracked.record.campaignMs = durationMs;
    this.touch(tracked);
    this.leaderSeen(candidate, term, at);
  }

  /** Some member reports `id` as the leader of `term`. */
  leaderSeen(id: string, term: number, at: number): void {
    const current = this.leader;
    if (current && term <= current.term) {
      // The same leader seen again after it seemed lost (say it was only paused): it leads again.
      if (term === current.term && id === current.id) this.since = null;
      return;
    }
    const tracked = this.recordFor(term, this.since ?? at);
    const { record } = tracked;
    record.winner = id;
    addCandidate(record, id);
    record.endedAt ??= at;
    record.leaderlessMs ??= this.since === null ? null : at - this.since;
    this.touch(tracked);
    this.leader = { id, term };
    this.since = null;
  }

  /** The member `id` stopped leading, or cannot be reached. */
  leaderLost(id: string, at: number): void {
    if (this.leader?.id === id) this.since ??= at;
  }

  all(): ElectionRecord[] {
    return this.records.toArray().map(({ record }) => copy(record));
  }

  /** Records that changed after `version`. */
  changedSince(version: number): ElectionRecord[] {
    return this.records
      .toArray()
      .filter((tracked) => tracked.changed > version)
      .map(({ record }) => copy(record));
  }

  private recordFor(term: number, startedAt: number): Tracked {
    const known = this.byTerm.get(term);
    if (known) return known;
    const tracked: Tracked = {
      record: { term, candidates: [], winner: null, votes: null, startedAt, endedAt: null, campaignMs: null, leaderlessMs: null },
      changed: this.changes,
    };
    const evicted = this.records.push(tracked);
    if (evicted) this.byTerm.delete(evicted.record.term);
    this.byTerm.set(term, tracked);
    return tracked;
  }

  private touch(tracked: Tracked): void {
    tracked.changed = ++this.changes;
  }
}

function addCandidate(record: ElectionRecord, id: string): void {
  if (!record.candidates.includes(id) && record.candidates.length < MAX_CANDIDATES) record.candidates.push(id);
}

function copy(record: ElectionRecord): ElectionRecord {
  return { ...record, candidates: [...record.candidates] };
}
