// Joins the newest intact snapshot with the write-ahead log into the state a node restarts from,
// refusing when they do not fit together (a gap would silently lose committed entries).
import type { PersistedState } from '../../raft/types.ts';
import type { WalContents } from './wal.ts';
import type { SnapshotLoad } from './snapshot-store.ts';
import { DataDirError } from './errors.ts';

export function recoverState(wal: WalContents, snapshots: SnapshotLoad, log: (warning: string) => void): PersistedState {
  const snapshot = snapshots.latest?.snapshot;
  const snapshotIndex = snapshot?.meta.index ?? 0;
  const damaged = snapshots.problems.map((problem) => problem.message).join('; ');
  if (wal.firstIndex > snapshotIndex + 1) {
    const base = snapshot ? `the newest intact snapshot ends at index ${snapshotIndex}` : 'there is no intact snapshot';
    throw new DataDirError(
      `cannot recover: the write-ahead log starts at index ${wal.firstIndex} but ${base}` + (damaged ? ` (${damaged})` : ''),
    );
  }
  for (const problem of snapshots.problems) {
    log(`${problem.message}; using ${snapshot ? `the snapshot at index ${snapshotIndex}` : 'no snapshot'} and the write-ahead log, which covers the gap`);
  }

  let entries = wal.entries.slice(Math.max(0, snapshotIndex + 1 - wal.firstIndex));
  const atSnapshot = wal.entries[snapshotIndex - wal.firstIndex];
  if (snapshot && atSnapshot && atSnapshot.term !== snapshot.meta.term) {
    // A snapshot from the leader replaced a log that disagreed with it, and a crash came before
    // the log reset was written: the disagreeing entries are not part of the log any more.
    log(`log entry ${snapshotIndex} has term ${atSnapshot.term} but the snapshot there has term ${snapshot.meta.term}; dropping the ${entries.length} entries after it`);
    entries = [];
  }
  const lastIndex = entries.length > 0 ? entries[entries.length - 1].index : snapshotIndex;
  if (wal.hardState.commit > lastIndex) {
    throw new DataDirError(`cannot recover: the commit index ${wal.hardState.commit} is beyond the last stored entry ${lastIndex}`);
  }
  return { hardState: wal.hardState, snapshot, entries };
}
