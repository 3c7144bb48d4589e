// Shared by the storage tests: a fresh temporary directory per test, and entries whose data is
// derived from (index, term) so that any stored entry can be checked on its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { EntryType } from '../../src/raft/types.ts';
import type { Entry } from '../../src/raft/types.ts';

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'storage-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function entryData(index: number, term: number): Uint8Array {
  return new TextEncoder().encode(`entry ${index} of term ${term}`.padEnd(64, '.'));
}

export function entry(index: number, term: number): Entry {
  return { term, index, type: EntryType.Normal, data: entryData(index, term) };
}

/** Entries first..last (inclusive), all of `term`. */
export function entries(first: number, last: number, term: number): Entry[] {
  const result: Entry[] = [];
  for (let index = first; index <= last; index++) result.push(entry(index, term));
  return result;
}

/** Collects warnings passed to a storage `log` callback. */
export function warnings(): { log: (warning: string) => void; seen: string[] } {
  const seen: string[] = [];
  return { log: (warning) => seen.push(warning), seen };
}
