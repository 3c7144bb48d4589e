// Raft's safety properties, checked incrementally as nodes persist, commit and apply, over the
// whole run: election safety, log matching, leader completeness, commits by counting only in
// the leader's term, state-machine safety, no committed entry ever lost, linearizable reads.
import type { Entry, NodeId, ReadState } from '../../src/raft/types.ts';
import { entryKey } from './state-machine.ts';
import type { SimStorage } from './storage.ts';
import { Violation } from './violation.ts';

export class Invariants {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** committed[i]: the key of the entry known committed at index i (may have holes). */
  private readonly committed: Array<string | undefined> = [undefined];
  /** committedBy[i]: a term no lower than the one in which entry i was committed. */
  private readonly committedBy: number[] = [0];
  /** "index/term" -> the entry and the term before it: one history per (index, term). */
  private readonly logMatch = new Map<string, { key: string; prevTerm: number }>();
  /** Highest committed index known when each read was asked for. */
  private readonly readFloor = new Map<string, number>();

  /** Called once per index when it is first known committed. */
  onCommitted: ((index: number, key: string) => void) | undefined;

  elections(): number {
    return this.leaderOfTerm.size;
  }

  highestCommitted(): number {
    return this.committed.length - 1;
  }

  committedKey(index: number): string | undefined {
    return this.committed[index];
  }

  /** Election safety and leader completeness, when `id` becomes leader of `term`. */
  leaderElected(id: NodeId, term: number, log: SimStorage): void {
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== id) throw new Violation('election-safety', `term ${term} has two leaders: ${other} and ${id}`);
    this.leaderOfTerm.set(term, id);
    for (let i = log.snapIndex() + 1; i < this.committed.length; i++) {
      const key = this.committed[i];
      if (key === undefined || this.committedBy[i] >= term) continue;
      const held = log.entryAt(i);
      if (!held || entryKey(held) !== key) {
        throw new Violation(
          'leader-completeness',
          `${id} leads term ${term} without entry ${i} (${key}) committed by term ${this.committedBy[i]}; it holds ${held ? entryKey(held) : 'nothing'}`,
        );
      }
    }
  }

  /** Log matching, before `entries` are stored in `log`: one history per (index, term). */
  entriesPersisted(id: NodeId, entries: Entry[], log: SimStorage): void {
    let prevTerm = entries.length > 0 ? log.term(entries[0].index - 1) : undefined;
    for (const e of entries) {
      if (prevTerm === undefined) throw new Violation('ready-contract', `${id}: entry ${e.index} follows nothing in storage`);
      const key = entryKey(e);
      const at = `${e.index}/${e.term}`;
      const seen = this.logMatch.get(at);
      if (!seen) this.logMatch.set(at, { key, prevTerm });
      else if (seen.key !== key || seen.prevTerm !== prevTerm) {
        throw new Violation(
          'log-matching',
          `${id} stores ${key} after term ${prevTerm} at index ${e.index}, another log has ${seen.key} after term ${seen.prevTerm}`,
        );
      }
      if (e.index <= log.hardState.commit && this.committed[e.index] !== undefined && this.committed[e.index] !== key) {
        throw new Violation('committed-entry-lost', `${id} overwrites committed entry ${e.index} (${this.committed[e.index]}) with ${key}`);
      }
      prevTerm = e.term;
    }
  }

  /** `id`, in `term`, now has everything up to `to` committed in `log`. */
  commitAdvanced(id: NodeId, term: number, from: number, to: number, log: SimStorage, leaderAllAlong: boolean): void {
    if (leaderAllAlong && log.term(to) !== term) {
      throw new Violation('leader-commit-term', `${id}, leader of term ${term}, committed ${to} of term ${log.term(to)} by counting`);
    }
    for (let i = Math.max(from + 1, log.snapIndex() + 1); i <= to; i++) {
      const e = log.entryAt(i);
      if (!e) throw new Violation('ready-contract', `${id} commits ${i} beyond its stored log (${log.lastIndex()})`);
      this.record(id, i, entryKey(e), term);
    }
  }

  /** Every entry a snapshot covers is committed, and must agree with what was committed before. */
  snapshotInstalled(id: NodeId, term: number, keys: string[]): void {
    keys.forEach((key, i) => this.record(id, i + 1, key, term));
  }

  /** State-machine safety: whatever any node applies at `index` is what was committed there. */
  applied(id: NodeId, index: number, key: string): void {
    const committed = this.committed[index];
    if (committed === undefined) throw new Violation('state-machine-safety', `${id} applies ${index} (${key}), which nobody committed`);
    if (committed !== key) throw new Violation('state-machine-safety', `${id} applies ${key} at ${index}, where ${committed} was committed`);
  }

  readRequested(context: string): void {
    this.readFloor.set(context, this.highestCommitted());
  }

  /** A read must see every write committed before it was asked for. */
  readAnswered(id: NodeId, rs: ReadState): void {
    const floor = this.readFloor.get(rs.context);
    if (floor === undefined) throw new Violation('read-index', `${id} got a read state for unknown context ${rs.context}`);
    if (rs.index < floor) {
      throw new Violation('read-index', `${id} got read index ${rs.index} for ${rs.context}, but ${floor} was committed before the read`);
    }
  }

  private record(id: NodeId, index: number, key: string, term: number): void {
    const known = this.committed[index];
    if (known === undefined) {
      this.committed[index] = key;
      this.committedBy[index] = term;
      this.onCommitted?.(index, key);
    } else if (known !== key) {
      throw new Violation('committed-entry-lost', `${id} has ${key} committed at ${index}, where ${known} was committed before`);
    }
  }
}
