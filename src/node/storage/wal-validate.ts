// Checks an append before anything is written, so that a bad call never reaches the disk.
import { EntryType } from '../../raft/types.ts';
import type { Entry, HardState } from '../../raft/types.ts';

export function validateAppend(entries: Entry[], hardState: HardState | undefined, resetIndex: number | undefined, lastIndex: number): void {
  if (resetIndex !== undefined) requireCount(resetIndex, 'reset index');
  const end = resetIndex ?? lastIndex;
  if (entries.length > 0) {
    const first = entries[0].index;
    if (!Number.isSafeInteger(first) || first < 1 || first > end + 1) {
      throw new Error(`append: entries must start at an index from 1 to ${end + 1}, got ${first}`);
    }
  }
  for (const [i, entry] of entries.entries()) {
    if (entry.index !== entries[0].index + i) throw new Error(`append: entries are not contiguous at position ${i} (index ${entry.index})`);
    requireCount(entry.term, `term of entry ${entry.index}`);
    if (entry.type !== EntryType.Normal && entry.type !== EntryType.Conf) throw new Error(`append: entry ${entry.index} has unknown type ${entry.type}`);
    if (!(entry.data instanceof Uint8Array)) throw new Error(`append: data of entry ${entry.index} is not a Uint8Array`);
  }
  if (hardState !== undefined) {
    requireCount(hardState.term, 'hard state term');
    requireCount(hardState.commit, 'hard state commit');
    if (typeof hardState.vote !== 'string' || Buffer.byteLength(hardState.vote) > 0xffff) throw new Error('append: hard state vote must be a string of at most 65535 bytes');
  }
}

function requireCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`append: ${what} must be a non-negative integer, got ${value}`);
}
