// One node's simulated stable storage: what survives a crash. Written only as the Ready contract
// says (snapshot, then entries, then hard state); read back whole on restart.
import type { Entry, HardState, PersistedState, Snapshot } from '../../src/raft/types.ts';
import { Violation } from './violation.ts';

export class SimStorage {
  hardState: HardState;
  snapshot: Snapshot | undefined;
  /** Entries after the snapshot: entries[i].index === snapIndex() + 1 + i. */
  entries: Entry[];

  private constructor(hardState: HardState, entries: Entry[]) {
    this.hardState = hardState;
    this.entries = entries;
  }

  static bootstrapped(first: Entry): SimStorage {
    return new SimStorage({ term: 1, vote: '', commit: 1 }, [first]);
  }

  static empty(): SimStorage {
    return new SimStorage({ term: 0, vote: '', commit: 0 }, []);
  }

  snapIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  lastIndex(): number {
    return this.snapIndex() + this.entries.length;
  }

  /** The term at `index`, or undefined when storage does not know it. */
  term(index: number): number | undefined {
    const snap = this.snapIndex();
    if (index === snap) return this.snapshot?.meta.term ?? 0;
    return this.entryAt(index)?.term;
  }

  entryAt(index: number): Entry | undefined {
    const i = index - this.snapIndex() - 1;
    return i >= 0 && i < this.entries.length ? this.entries[i] : undefined;
  }

  /** A snapshot received from a leader replaces the whole log. */
  installSnapshot(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = [];
  }

  /** A snapshot the node took itself: entries after it stay. */
  compact(snapshot: Snapshot): void {
    const drop = snapshot.meta.index - this.snapIndex();
    this.entries = this.entries.slice(Math.max(0, drop));
    this.snapshot = snapshot;
  }

  /** Stores entries, replacing everything from entries[0].index on. */
  append(id: string, entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0].index;
    if (first <= this.snapIndex() || first > this.lastIndex() + 1) {
      throw new Violation('ready-contract', `${id}: Ready entries start at ${first}, storage holds (${this.snapIndex()}, ${this.lastIndex()}]`);
    }
    entries.forEach((e, i) => {
      if (e.index !== first + i) throw new Violation('ready-contract', `${id}: Ready entries are not contiguous at ${e.index}`);
    });
    this.entries.length = first - this.snapIndex() - 1;
    this.entries.push(...entries);
  }

  /** What a restarted core reads: a copy, so the core never shares arrays with storage. */
  persisted(): PersistedState {
    const state: PersistedState = { hardState: { ...this.hardState }, entries: [...this.entries] };
    if (this.snapshot) state.snapshot = this.snapshot;
    return state;
  }
}
