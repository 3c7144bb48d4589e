// Rebuilds the log from write-ahead log records in the order they were written. Later records
// win: an entries record replaces everything from its first index on.
import type { Entry, HardState } from '../../raft/types.ts';
import type { WalRecord } from './wal-codec.ts';
import { RecordType } from './wal-record.ts';

export class LogReplay {
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  /** Index of entries[0]; the log covers nothing before it. */
  firstIndex = 1;
  entries: Entry[] = [];
  private started = false;

  get lastIndex(): number {
    return this.firstIndex + this.entries.length - 1;
  }

  /** Applies one record; throws a plain Error when it does not fit the log so far. */
  apply(record: WalRecord, firstOfSegment: boolean): void {
    if (firstOfSegment !== (record.type === RecordType.SegmentHeader)) {
      throw new Error(firstOfSegment ? 'segment does not start with a header' : 'segment header in the middle of a segment');
    }
    switch (record.type) {
      case RecordType.SegmentHeader:
        // Older segments may have been released: the first one left says where the log starts.
        if (!this.started) this.firstIndex = record.header.firstIndex;
        else if (record.header.firstIndex !== this.lastIndex + 1) {
          throw new Error(`segment starts at index ${record.header.firstIndex} but the log before it ends at ${this.lastIndex}`);
        }
        this.started = true;
        return;
      case RecordType.Entries:
        return this.applyEntries(record.entries);
      case RecordType.HardState:
        this.hardState = record.hardState;
        return;
      case RecordType.LogReset:
        this.firstIndex = record.index + 1;
        this.entries = [];
        return;
    }
  }

  private applyEntries(entries: Entry[]): void {
    const first = entries[0].index;
    if (first > this.lastIndex + 1) throw new Error(`entries start at index ${first} but the log ends at ${this.lastIndex}`);
    if (first < this.firstIndex) {
      // A rewrite of entries whose older copies lived in released segments.
      this.firstIndex = first;
      this.entries = entries;
      return;
    }
    this.entries.length = first - this.firstIndex;
    for (const entry of entries) this.entries.push(entry);
  }
}
