// Durable storage of a raft-node: the write-ahead log, snapshot files and the data directory.
//
// How a node uses it:
//   const { wal, snapshots, state, fresh, close } = await openDataDir({ dir, id, cluster, fsync, log });
//   each Ready:     if (rd.snapshot) await snapshots.save(rd.snapshot);
//                   await wal.append(rd.entries, rd.hardState, rd.snapshot?.meta);  // one durable write
//   after compact:  await snapshots.save(snapshot); await wal.releaseTo(snapshot.meta.index);
export { openDataDir } from './data-dir.ts';
export type { DataDir, DataDirOptions } from './data-dir.ts';
export { Wal, DEFAULT_SEGMENT_BYTES } from './wal.ts';
export type { WalOptions, WalContents } from './wal.ts';
export { SnapshotStore } from './snapshot-store.ts';
export type { LoadedSnapshot, SnapshotLoad } from './snapshot-store.ts';
export { recoverState } from './recover-state.ts';
export { WalCorruptError, SnapshotCorruptError, DataDirError } from './errors.ts';
