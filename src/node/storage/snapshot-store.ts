// Snapshot files in one directory, named by index. A save is atomic and durable; the newest two
// are kept so that a damaged newest file can fall back to the one before it.
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../../raft/types.ts';
import { makeDir, syncDir, writeFileAtomically } from './durable-fs.ts';
import { decodeSnapshotFile, encodeSnapshotFile, validateSnapshotMeta } from './snapshot-file.ts';
import { SnapshotCorruptError } from './errors.ts';

const KEEP = 2;
const SNAPSHOT_NAME = /^snap-(\d{20})\.snap$/;

export interface LoadedSnapshot {
  snapshot: Snapshot;
  file: string;
  /** Size of the file. */
  bytes: number;
}

export interface SnapshotLoad {
  /** The newest snapshot that is intact, if any. */
  latest?: LoadedSnapshot;
  /** Newer snapshot files that are damaged, newest first. */
  problems: SnapshotCorruptError[];
}

export class SnapshotStore {
  private constructor(
    readonly dir: string,
    private readonly fsync: boolean,
  ) {}

  /** Creates `dir` if needed and removes files of saves that a crash interrupted. */
  static async open(options: { dir: string; fsync: boolean; log: (warning: string) => void }): Promise<SnapshotStore> {
    await makeDir(options.dir, options.fsync);
    for (const name of await readdir(options.dir)) {
      if (!name.endsWith('.snap.tmp')) continue;
      await unlink(join(options.dir, name));
      options.log(`removed unfinished snapshot file ${join(options.dir, name)}`);
    }
    return new SnapshotStore(options.dir, options.fsync);
  }

  /** Writes the snapshot durably, then deletes all but the newest two. */
  async save(snapshot: Snapshot): Promise<{ file: string; bytes: number }> {
    validateSnapshotMeta(snapshot.meta);
    const file = join(this.dir, snapshotFileName(snapshot.meta.index));
    const chunks = encodeSnapshotFile(snapshot);
    await writeFileAtomically(file, chunks, this.fsync);
    const older = (await this.listNewestFirst()).slice(KEEP);
    for (const { file: old } of older) await unlinkIfPresent(old);
    if (older.length > 0 && this.fsync) await syncDir(this.dir);
    return { file, bytes: chunks.reduce((sum, chunk) => sum + chunk.length, 0) };
  }

  /** The newest intact snapshot, and the damaged files newer than it. */
  async loadLatest(): Promise<SnapshotLoad> {
    const problems: SnapshotCorruptError[] = [];
    for (const { file, index } of await this.listNewestFirst()) {
      const bytes = await readFile(file);
      try {
        const snapshot = decodeSnapshotFile(file, bytes);
        if (snapshot.meta.index !== index) throw new SnapshotCorruptError(file, 0, `it holds index ${snapshot.meta.index}, not the ${index} of its name`);
        return { latest: { snapshot, file, bytes: bytes.length }, problems };
      } catch (error) {
        if (!(error instanceof SnapshotCorruptError)) throw error;
        problems.push(error);
      }
    }
    return { problems };
  }

  private async listNewestFirst(): Promise<{ file: string; index: number }[]> {
    const found: { file: string; index: number }[] = [];
    for (const name of await readdir(this.dir)) {
      const match = SNAPSHOT_NAME.exec(name);
      if (match) found.push({ file: join(this.dir, name), index: Number(match[1]) });
    }
    return found.sort((a, b) => b.index - a.index);
  }
}

function snapshotFileName(index: number): string {
  return `snap-${String(index).padStart(20, '0')}.snap`;
}

/** Pruning is idempotent: a file already gone is what was wanted. */
async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
