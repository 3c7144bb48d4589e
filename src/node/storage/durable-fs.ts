// File-system steps that survive a crash: a file is written under a temporary name, fsynced and
// renamed into place, and the directory is fsynced so that the rename itself is durable.
import { mkdir, open, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Makes the creation, rename or removal of entries in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `dir` and any missing parents, fsyncing each parent whose entries changed. */
export async function makeDir(dir: string, fsync: boolean): Promise<void> {
  const target = resolve(dir);
  const firstCreated = await mkdir(target, { recursive: true });
  if (firstCreated === undefined || !fsync) return;
  for (let created = target; ; created = dirname(created)) {
    await syncDir(dirname(created));
    if (created === firstCreated) return;
  }
}

/** Writes every byte of `bytes` at `position`; a single write() may legally write fewer. */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Replaces `path` with `chunks` atomically; with `fsync` off it skips every fsync. */
export async function writeFileAtomically(path: string, chunks: Uint8Array[], fsync: boolean): Promise<void> {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    let position = 0;
    for (const chunk of chunks) {
      await writeFully(handle, chunk, position);
      position += chunk.length;
    }
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  if (fsync) await syncDir(dirname(path));
}
