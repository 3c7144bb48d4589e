// The replicated log as one core sees it: a snapshot, the entries after it, how far they are
// stored, committed and applied, and the configurations the entries carry.
import { applyConfChange, cloneConf, decodeConfChange, EMPTY_CONF } from './confchange.ts';
import { EntryType, type ConfState, type Entry, type Snapshot, type SnapshotMeta } from './types.ts';

/** Term of an index the log no longer (or not yet) holds. */
export const UNKNOWN_TERM = -1;

interface ConfAt {
  index: number;
  conf: ConfState;
}

export class RaftLog {
  /** The latest snapshot, kept so a leader can send it to followers that need it. */
  snapshot: Snapshot | undefined;
  /** A snapshot received from the leader and not yet handed out in a Ready. */
  pendingSnapshot: Snapshot | undefined;
  snapIndex: number;
  snapTerm: number;
  /** entries[i].index === snapIndex + 1 + i */
  entries: Entry[];
  committed = 0;
  applied = 0;
  /** The last index known to be on stable storage. */
  stabled: number;
  /** Configurations in force from each index on: the snapshot's, then one per Conf entry. */
  private confs: ConfAt[];
  /** Bumped whenever the configuration in force changes, so a Ready can report it. */
  confVersion = 0;

  constructor(snapshot: Snapshot | undefined, entries: Entry[], committed: number, applied: number) {
    this.snapshot = snapshot;
    this.snapIndex = snapshot?.meta.index ?? 0;
    this.snapTerm = snapshot?.meta.term ?? 0;
    this.entries = [];
    this.confs = [{ index: this.snapIndex, conf: snapshot ? cloneConf(snapshot.meta.conf) : EMPTY_CONF }];
    this.stabled = this.snapIndex;
    // A write-ahead log may still hold entries that the snapshot already covers.
    const after = entries.findIndex((e) => e.index > this.snapIndex);
    if (after >= 0) this.append(entries.slice(after));
    this.stabled = this.lastIndex();
    if (committed > this.lastIndex()) {
      throw new Error(`commit index ${committed} is beyond the stored log (last index ${this.lastIndex()})`);
    }
    // A snapshot is only ever taken or received at a committed index, even if a crash came
    // before the hard state that says so was written.
    this.committed = Math.max(committed, this.snapIndex);
    this.applied = Math.max(this.snapIndex, Math.min(applied, committed));
  }

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  term(index: number): number {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex()) return UNKNOWN_TERM;
    return this.entries[index - this.snapIndex - 1].term;
  }

  matchTerm(index: number, term: number): boolean {
    const t = this.term(index);
    return t !== UNKNOWN_TERM && t === term;
  }

  /** Raft's voting restriction (§5.4.1): is a log ending at (index, term) at least as up to date? */
  isUpToDate(index: number, term: number): boolean {
    const lastTerm = this.lastTerm();
    return term > lastTerm || (term === lastTerm && index >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most `maxBytes` of data but always at least one when any exist. */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    const from = lo - this.snapIndex - 1;
    const to = hi - this.snapIndex - 1;
    if (from < 0 || to > this.entries.length) throw new Error(`slice [${lo}, ${hi}) is outside the log`);
    if (maxBytes === Infinity) return this.entries.slice(from, to);
    let bytes = 0;
    let end = from;
    while (end < to) {
      bytes += this.entries[end].data.length;
      if (bytes > maxBytes && end > from) break;
      end++;
    }
    return this.entries.slice(from, end);
  }

  /**
   * The follower's side of AppendEntries: when the entry before `entries` matches, append what is
   * new (dropping a conflicting suffix) and advance commit. Returns the last index now known to
   * match the leader, or -1 when the consistency check fails.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, entries: Entry[]): number {
    if (!this.matchTerm(prevIndex, prevTerm)) return -1;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new Error(`entry ${conflict} conflicts with the committed log (commit ${this.committed})`);
      }
      this.append(entries.slice(conflict - entries[0].index));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** The index of the first entry that is new or differs in term from the log, or 0. */
  private findConflict(entries: Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term. Lets a leader skip a
   * whole divergent term in one round trip instead of one entry at a time.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapIndex) {
      const t = this.term(i);
      if (t <= term) return [i, t];
      i--;
    }
    return [i, i === this.snapIndex ? this.snapTerm : 0];
  }

  /** Appends entries, replacing any stored entries from entries[0].index on. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const after = entries[0].index - 1;
    if (after < this.committed && after < this.lastIndex()) {
      throw new Error(`cannot overwrite committed entry ${after + 1} (commit ${this.committed})`);
    }
    if (after > this.lastIndex() || after < this.snapIndex) {
      throw new Error(`append at ${after + 1} leaves a gap after ${this.lastIndex()}`);
    }
    if (after < this.lastIndex()) {
      this.entries.length = after - this.snapIndex;
      this.stabled = Math.min(this.stabled, after);
      this.dropConfsFrom(after + 1);
    }
    for (const e of entries) {
      this.entries.push(e);
      if (e.type === EntryType.Conf) this.addConf(e);
    }
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) throw new Error(`commit ${index} is beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Commits `index` if it is from `term` (a leader commits only its own term's entries by counting). */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.committed = index;
      return true;
    }
    return false;
  }

  unstableEntries(): Entry[] {
    return this.stabled >= this.lastIndex() ? [] : this.entries.slice(this.stabled - this.snapIndex);
  }

  /** Committed entries not yet handed to the application. */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return lo > this.committed ? [] : this.slice(lo, this.committed + 1);
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > Math.max(this.applied, this.snapIndex);
  }

  stableTo(index: number, term: number): void {
    if (this.matchTerm(index, term) && index > this.stabled) this.stabled = index;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.pendingSnapshot = snapshot;
    this.snapIndex = snapshot.meta.index;
    this.snapTerm = snapshot.meta.term;
    this.entries = [];
    this.committed = snapshot.meta.index;
    this.stabled = snapshot.meta.index;
    this.confs = [{ index: snapshot.meta.index, conf: cloneConf(snapshot.meta.conf) }];
    this.confVersion++;
  }

  /** Keeps `data` as the snapshot at `index` and drops the entries it covers. */
  compact(index: number, data: Uint8Array): Snapshot {
    if (index <= this.snapIndex) throw new Error(`index ${index} is already compacted (snapshot ${this.snapIndex})`);
    if (index > this.applied) throw new Error(`cannot compact to ${index}: only ${this.applied} is applied`);
    const meta: SnapshotMeta = { index, term: this.term(index), conf: cloneConf(this.confAt(index)) };
    this.entries = this.entries.slice(index - this.snapIndex);
    this.snapIndex = index;
    this.snapTerm = meta.term;
    const keepFrom = this.confs.findLastIndex((c) => c.index <= index);
    this.confs = [{ index, conf: meta.conf }, ...this.confs.slice(keepFrom + 1)];
    this.snapshot = { meta, data };
    return this.snapshot;
  }

  /** The configuration in force: the latest in the log, committed or not. */
  conf(): ConfState {
    return this.confs[this.confs.length - 1].conf;
  }

  /** The index of the latest Conf entry, or the snapshot index when there is none after it. */
  lastConfIndex(): number {
    return this.confs[this.confs.length - 1].index;
  }

  confAt(index: number): ConfState {
    for (let i = this.confs.length - 1; i >= 0; i--) {
      if (this.confs[i].index <= index) return this.confs[i].conf;
    }
    return this.confs[0].conf;
  }

  private addConf(entry: Entry): void {
    this.confs.push({ index: entry.index, conf: applyConfChange(this.conf(), decodeConfChange(entry.data)) });
    this.confVersion++;
  }

  private dropConfsFrom(index: number): void {
    const before = this.confs.length;
    while (this.confs.length > 1 && this.confs[this.confs.length - 1].index >= index) this.confs.pop();
    if (this.confs.length !== before) this.confVersion++;
  }
}
