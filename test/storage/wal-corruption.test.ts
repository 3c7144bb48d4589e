import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, WalCorruptError } from '../../src/node/storage/index.ts';
import { entries, tempDir, warnings } from './helpers.ts';

const GARBAGE = Buffer.from('not a record, just bytes a crash left behind');

/** Byte offsets of the records in a segment, from their length prefixes. */
function recordOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 9 + bytes.readUInt32LE(offset)) offsets.push(offset);
  return offsets;
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort().map((name) => join(dir, name));
}

/** A log of ten batches of five entries (one record each); returns the segment files. */
async function writeTenBatches(dir: string, segmentBytes?: number): Promise<string[]> {
  const { wal } = await Wal.open({ dir, fsync: true, segmentBytes, log: warnings().log });
  for (let batch = 0; batch < 10; batch++) await wal.append(entries(batch * 5 + 1, batch * 5 + 5, 1));
  await wal.close();
  return segmentFiles(dir);
}

async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[offset] ^= 0xff;
  await writeFile(file, bytes);
}

test('a torn tail (cut mid-record, then garbage) is cut off with a warning, and appends continue', async (t) => {
  const dir = await tempDir(t);
  const [segment] = await writeTenBatches(dir);
  const lastRecord = recordOffsets(await readFile(segment)).at(-1)!;
  await truncate(segment, lastRecord + 20);
  await appendFile(segment, GARBAGE);

  const seen = warnings();
  const { wal, contents } = await Wal.open({ dir, fsync: true, log: seen.log });
  assert.deepEqual(contents.entries, entries(1, 45, 1));
  assert.equal(seen.seen.length, 1);
  assert.match(seen.seen[0], new RegExp(`${segment}.*torn write at byte offset ${lastRecord}`));
  assert.equal((await stat(segment)).size, lastRecord, 'the damaged tail is gone from the file');

  await wal.append(entries(46, 47, 2));
  await wal.close();
  const again = warnings();
  const { wal: reopened, contents: after } = await Wal.open({ dir, fsync: true, log: again.log });
  await reopened.close();
  assert.deepEqual(after.entries, [...entries(1, 45, 1), ...entries(46, 47, 2)]);
  assert.deepEqual(again.seen, []);
});

test('a record header cut short at the end is a torn tail', async (t) => {
  const dir = await tempDir(t);
  const [segment] = await writeTenBatches(dir);
  const lastRecord = recordOffsets(await readFile(segment)).at(-1)!;
  await truncate(segment, lastRecord + 4);
  const seen = warnings();
  const { wal, contents } = await Wal.open({ dir, fsync: true, log: seen.log });
  await wal.close();
  assert.deepEqual(contents.entries, entries(1, 45, 1));
  assert.match(seen.seen[0], /too short for a record header/);
});

test('a bad checksum in the last record of the last segment is a torn tail', async (t) => {
  const dir = await tempDir(t);
  const [segment] = await writeTenBatches(dir);
  const lastRecord = recordOffsets(await readFile(segment)).at(-1)!;
  await flipByte(segment, lastRecord + 30);
  const seen = warnings();
  const { wal, contents } = await Wal.open({ dir, fsync: true, log: seen.log });
  await wal.close();
  assert.deepEqual(contents.entries, entries(1, 45, 1));
  assert.match(seen.seen[0], /checksum mismatch/);
});

test('a flipped byte in an earlier record of the last segment is refused with file and offset', async (t) => {
  const dir = await tempDir(t);
  const [segment] = await writeTenBatches(dir);
  const offsets = recordOffsets(await readFile(segment));
  const damaged = offsets[5];
  await flipByte(segment, damaged + 40);
  const sizeBefore = (await stat(segment)).size;

  const seen = warnings();
  await assert.rejects(Wal.open({ dir, fsync: true, log: seen.log }), (error: unknown) => {
    assert.ok(error instanceof WalCorruptError);
    assert.equal(error.file, segment);
    assert.equal(error.offset, damaged);
    assert.match(error.message, new RegExp(`${segment} is corrupt at byte offset ${damaged}: checksum mismatch`));
    return true;
  });
  assert.equal((await stat(segment)).size, sizeBefore, 'nothing is cut away');
  assert.deepEqual(seen.seen, []);
});

test('damage in a segment before the last one is refused, even at its tail', async (t) => {
  const dir = await tempDir(t);
  const segments = await writeTenBatches(dir, 1024);
  assert.ok(segments.length >= 3, `expected several segments, got ${segments.length}`);
  const first = segments[0];
  const lastRecord = recordOffsets(await readFile(first)).at(-1)!;
  await truncate(first, lastRecord + 10);

  await assert.rejects(
    Wal.open({ dir, fsync: true, log: warnings().log }),
    new RegExp(`${first} is corrupt at byte offset ${lastRecord}: record of \\d+ bytes runs past the end of the file`),
  );
});

test('a missing segment in the middle is refused', async (t) => {
  const dir = await tempDir(t);
  const segments = await writeTenBatches(dir, 1024);
  await unlink(segments[1]);
  await assert.rejects(Wal.open({ dir, fsync: true, log: warnings().log }), (error: unknown) => {
    assert.ok(error instanceof WalCorruptError);
    assert.equal(error.file, segments[2]);
    assert.match(error.message, /segment 2 is missing before it/);
    return true;
  });
});

test('a segment renamed to another first index is refused', async (t) => {
  const dir = await tempDir(t);
  const [segment] = await writeTenBatches(dir);
  const renamed = join(dir, '0000000000000001-00000000000000000007.wal');
  await writeFile(renamed, await readFile(segment));
  await unlink(segment);
  await assert.rejects(Wal.open({ dir, fsync: true, log: warnings().log }), /00000000000000000007\.wal is corrupt at byte offset 0: the segment header does not match the file name/);
});

test('a segment whose creation a crash interrupted is removed with a warning', async (t) => {
  const dir = await tempDir(t);
  await writeTenBatches(dir);
  const unfinished = join(dir, '0000000000000002-00000000000000000051.wal.tmp');
  await writeFile(unfinished, 'half a header');
  const seen = warnings();
  const { wal, contents } = await Wal.open({ dir, fsync: true, log: seen.log });
  await wal.close();
  assert.deepEqual(contents.entries, entries(1, 50, 1));
  assert.deepEqual(seen.seen, [`removed unfinished write-ahead log segment ${unfinished}`]);
  assert.equal((await readdir(dir)).length, 1);
});
