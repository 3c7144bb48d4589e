// The loop's storage port on the data directory: received snapshots and log appends go to the
// write-ahead log; snapshots this node takes are saved, then the log they cover is released.
import type { DataDir } from './storage/index.ts';
import type { LoopStorage } from './raft-loop.ts';

export function dataDirStorage(dataDir: DataDir): LoopStorage {
  return {
    async persist(snapshot, entries, hardState) {
      if (snapshot) await dataDir.snapshots.save(snapshot);
      await dataDir.wal.append(entries, hardState, snapshot ? { index: snapshot.meta.index } : undefined);
    },
    async saveSnapshot(snapshot) {
      await dataDir.snapshots.save(snapshot);
      await dataDir.wal.releaseTo(snapshot.meta.index);
    },
  };
}
