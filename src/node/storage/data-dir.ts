// The data directory of one member:
//   DIR/meta.json   { format, id, cluster }
//   DIR/lock        pid of the process using it
//   DIR/wal/        write-ahead log segments
//   DIR/snap/       snapshot files
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PersistedState } from '../../raft/types.ts';
import { Wal } from './wal.ts';
import { SnapshotStore } from './snapshot-store.ts';
import type { LoadedSnapshot } from './snapshot-store.ts';
import { acquireDirLock } from './dir-lock.ts';
import type { DirLock } from './dir-lock.ts';
import { checkMeta, readMeta, writeMeta } from './data-dir-meta.ts';
import { recoverState } from './recover-state.ts';
import { makeDir } from './durable-fs.ts';
import { DataDirError, SnapshotCorruptError, WalCorruptError } from './errors.ts';

export interface DataDirOptions {
  dir: string;
  id: string;
  cluster: string;
  /** Off only for experiments: nothing is fsynced. */
  fsync: boolean;
  /** Receives warnings: a torn log tail cut off, a stale lock taken over, a damaged snapshot skipped. */
  log: (warning: string) => void;
  /** Write-ahead log segment size; the default suits production. */
  segmentBytes?: number;
  /** Called with the duration of every write-ahead log fsync, in seconds. */
  onWalSync?: (seconds: number) => void;
}

export interface DataDir {
  wal: Wal;
  snapshots: SnapshotStore;
  /** What the node restarts from: data on disk always wins over --peers. */
  state: PersistedState;
  /** The snapshot file `state.snapshot` came from, for its size. */
  snapshotFile?: LoadedSnapshot;
  /** Nothing was stored yet: the caller bootstraps (from --peers) or waits to join. */
  fresh: boolean;
  /** Closes the log and releases the lock. */
  close(): Promise<void>;
}

/**
 * Opens (creating if missing) the data directory for member `id` of `cluster`. Fails with a
 * DataDirError, WalCorruptError or SnapshotCorruptError whose message is fit for an operator.
 */
export async function openDataDir(options: DataDirOptions): Promise<DataDir> {
  const { dir, id, cluster, fsync, log } = options;
  await prepareDir(dir, fsync);
  const lock = await explain(dir, () => acquireDirLock(dir, log));
  let wal: Wal | undefined;
  try {
    return await explain(dir, async () => {
      await ensureMeta(dir, id, cluster, fsync);
      const snapshots = await SnapshotStore.open({ dir: join(dir, 'snap'), fsync, log });
      const loaded = await snapshots.loadLatest();
      const opened = await Wal.open({ dir: join(dir, 'wal'), fsync, log, segmentBytes: options.segmentBytes, onSync: options.onWalSync });
      wal = opened.wal;
      const state = recoverState(opened.contents, loaded, log);
      const empty = opened.contents.firstIndex === 1 && opened.contents.entries.length === 0 && isZero(state.hardState);
      const fresh = empty && !loaded.latest && loaded.problems.length === 0;
      return { wal, snapshots, state, snapshotFile: loaded.latest, fresh, close: closer(wal, lock) };
    });
  } catch (error) {
    await wal?.close();
    await lock.release();
    throw error;
  }
}

async function prepareDir(dir: string, fsync: boolean): Promise<void> {
  try {
    await makeDir(dir, fsync);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new DataDirError(`data directory ${dir} is not a directory`);
    throw new DataDirError(`cannot create data directory ${dir}: ${(error as Error).message}`);
  }
}

async function ensureMeta(dir: string, id: string, cluster: string, fsync: boolean): Promise<void> {
  const meta = await readMeta(dir);
  if (meta) return checkMeta(dir, meta, id, cluster);
  // meta.json is written before anything else, so state without it is not ours to adopt.
  const stray = (await readdir(dir)).filter((name) => name === 'wal' || name === 'snap');
  if (stray.length > 0) throw new DataDirError(`data directory ${dir} holds ${stray.join(' and ')} but no meta.json; refusing to guess whose state it is`);
  await writeMeta(dir, id, cluster, fsync);
}

/** Passes storage errors through and turns any other failure (EACCES, EIO, ...) into one clear line. */
async function explain<T>(dir: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof DataDirError || error instanceof WalCorruptError || error instanceof SnapshotCorruptError) throw error;
    throw new DataDirError(`cannot use data directory ${dir}: ${(error as Error).message}`);
  }
}

function isZero(hardState: PersistedState['hardState']): boolean {
  return hardState.term === 0 && hardState.vote === '' && hardState.commit === 0;
}

function closer(wal: Wal, lock: DirLock): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= wal.close().finally(() => lock.release());
    return closing;
  };
}
