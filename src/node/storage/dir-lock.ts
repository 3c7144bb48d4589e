// One live process per data directory: a lock file holding the owner's pid. A lock left by a
// process that no longer exists is taken over.
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataDirError } from './errors.ts';

export interface DirLock {
  readonly file: string;
  release(): Promise<void>;
}

export async function acquireDirLock(dir: string, log: (warning: string) => void): Promise<DirLock> {
  const file = join(dir, 'lock');
  // The pid is written first and linked into place, so the lock is never seen empty.
  const draft = join(dir, `lock.${process.pid}.tmp`);
  await writeFile(draft, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(draft, file);
        return { file, release: () => unlink(file) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readHolder(file);
      if (holder === 'gone') continue;
      if (holder !== undefined && isAlive(holder)) {
        throw new DataDirError(`data directory ${dir} is in use by process ${holder} (lock file ${file})`);
      }
      log(`data directory ${dir}: taking over the lock of process ${holder ?? '(unreadable pid)'}, which is not running`);
      await unlink(file).catch(ignoreMissing);
    }
    throw new DataDirError(`data directory ${dir}: another process took the lock file ${file} while this one was starting`);
  } finally {
    await unlink(draft).catch(ignoreMissing);
  }
}

/** The pid in the lock file; undefined when it holds none, 'gone' when the file was just released. */
async function readHolder(file: string): Promise<number | undefined | 'gone'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
