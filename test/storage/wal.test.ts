import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { EntryType } from '../../src/raft/types.ts';
import { Wal } from '../../src/node/storage/index.ts';
import type { WalOptions } from '../../src/node/storage/index.ts';
import { entries, entry, tempDir, warnings } from './helpers.ts';

async function reopen(options: WalOptions) {
  const opened = await Wal.open(options);
  await opened.wal.close();
  return opened.contents;
}

test('round trip: entries and hard state survive a reopen', async (t) => {
  const dir = await tempDir(t);
  const options = { dir, fsync: true, log: warnings().log };
  const { wal, contents } = await Wal.open(options);
  assert.deepEqual(contents, { hardState: { term: 0, vote: '', commit: 0 }, firstIndex: 1, entries: [] });

  const conf = { term: 1, index: 1, type: EntryType.Conf, data: new Uint8Array([1, 2, 3]) };
  await wal.append([conf], { term: 1, vote: '', commit: 1 });
  await wal.append(entries(2, 40, 2), { term: 2, vote: 'n2', commit: 30 });
  await wal.append([{ term: 2, index: 41, type: EntryType.Normal, data: new Uint8Array(0) }]);
  await wal.append([], { term: 3, vote: 'n3', commit: 35 });
  await wal.close();

  const replayed = await reopen(options);
  assert.deepEqual(replayed.hardState, { term: 3, vote: 'n3', commit: 35 });
  assert.equal(replayed.firstIndex, 1);
  assert.equal(replayed.entries.length, 41);
  assert.deepEqual({ ...replayed.entries[0], data: [...replayed.entries[0].data] }, { ...conf, data: [1, 2, 3] });
  for (const stored of replayed.entries.slice(1, 40)) assert.deepEqual(stored, entry(stored.index, 2));
  assert.equal(replayed.entries[40].data.length, 0);
});

test('entries at or below the last index replace the stored suffix, also across segments', async (t) => {
  const dir = await tempDir(t);
  const options = { dir, fsync: true, segmentBytes: 2048, log: warnings().log };
  const { wal } = await Wal.open(options);
  await wal.append(entries(1, 60, 1));
  await wal.append(entries(61, 90, 1)); // lands in a new segment
  await wal.append(entries(20, 25, 2), { term: 2, vote: 'n1', commit: 19 });
  assert.equal(wal.stats().lastIndex, 25);
  await wal.append(entries(26, 30, 2));
  await wal.append(entries(30, 30, 3));
  await wal.close();

  const replayed = await reopen(options);
  assert.deepEqual(replayed.entries, [...entries(1, 19, 1), ...entries(20, 29, 2), entry(30, 3)]);
  assert.deepEqual(replayed.hardState, { term: 2, vote: 'n1', commit: 19 });
});

test('a bad append is refused before anything is written, and the log stays usable', async (t) => {
  const dir = await tempDir(t);
  const options = { dir, fsync: true, log: warnings().log };
  const { wal } = await Wal.open(options);
  await wal.append(entries(1, 5, 1));
  await assert.rejects(wal.append(entries(7, 8, 1)), /entries must start at an index from 1 to 6, got 7/);
  await assert.rejects(wal.append([entry(6, 1), entry(8, 1)]), /not contiguous at position 1/);
  await assert.rejects(wal.append([entry(6, -1)]), /term of entry 6 must be a non-negative integer/);
  await assert.rejects(wal.append([], { term: 1.5, vote: '', commit: 0 }), /hard state term/);
  await wal.append(entries(6, 6, 1));
  await wal.close();
  assert.deepEqual((await reopen(options)).entries, entries(1, 6, 1));
});

test('a log reset after an installed snapshot drops every earlier entry', async (t) => {
  const dir = await tempDir(t);
  const options = { dir, fsync: true, log: warnings().log };
  const { wal } = await Wal.open(options);
  await wal.append(entries(1, 10, 1), { term: 1, vote: 'n1', commit: 5 });
  await wal.append(entries(101, 103, 4), { term: 4, vote: '', commit: 100 }, { index: 100 });
  await wal.close();

  const replayed = await reopen(options);
  assert.equal(replayed.firstIndex, 101);
  assert.deepEqual(replayed.entries, entries(101, 103, 4));
  assert.deepEqual(replayed.hardState, { term: 4, vote: '', commit: 100 });
});

test('appends that are not awaited are written in call order', async (t) => {
  const dir = await tempDir(t);
  const options = { dir, fsync: true, log: warnings().log };
  const { wal } = await Wal.open(options);
  const pending = [];
  for (let i = 0; i < 20; i++) pending.push(wal.append(entries(i * 5 + 1, i * 5 + 5, 1)));
  await Promise.all(pending);
  await wal.close();
  assert.deepEqual((await reopen(options)).entries, entries(1, 100, 1));
});

test('many segments: releaseTo deletes only segments whose entries are all covered', async (t) => {
  const dir = await tempDir(t);
  const options = { dir, fsync: true, segmentBytes: 4096, log: warnings().log };
  const { wal } = await Wal.open(options);
  for (let first = 1; first <= 1000; first += 10) await wal.append(entries(first, first + 9, 1), { term: 1, vote: 'n1', commit: first - 1 });
  const before = wal.stats();
  assert.ok(before.segments >= 20, `expected many segments, got ${before.segments}`);
  assert.equal((await readdir(dir)).length, before.segments);

  await wal.releaseTo(600);
  const after = wal.stats();
  assert.ok(after.segments < before.segments, 'some segments were released');
  assert.equal((await readdir(dir)).length, after.segments);
  assert.ok(after.bytes < before.bytes);
  await wal.releaseTo(600); // idempotent
  assert.equal(wal.stats().segments, after.segments);
  await wal.close();

  const replayed = await reopen(options);
  assert.ok(replayed.firstIndex <= 601, `entry 601 must be kept, log starts at ${replayed.firstIndex}`);
  assert.ok(replayed.firstIndex > 400, `old segments must be gone, log starts at ${replayed.firstIndex}`);
  assert.deepEqual(replayed.entries, entries(replayed.firstIndex, 1000, 1));
  assert.deepEqual(replayed.hardState, { term: 1, vote: 'n1', commit: 990 }, 'the hard state survives the release');

  const { wal: again } = await Wal.open(options);
  await again.releaseTo(2000);
  assert.equal(again.stats().segments, 1, 'the open segment is always kept');
  await again.append(entries(1001, 1001, 1));
  await again.close();
  assert.equal((await reopen(options)).entries.at(-1)?.index, 1001);
});

test('a rewrite reaching below the first index of its segment replays after older segments are released', async (t) => {
  const dir = await tempDir(t);
  const options = { dir, fsync: true, segmentBytes: 2048, log: warnings().log };
  const { wal } = await Wal.open(options);
  await wal.append(entries(1, 30, 1)); // segment 1: 1..30
  await wal.append(entries(31, 60, 1)); // segment 2 starts at 31
  await wal.append(entries(10, 40, 2)); // segment 3 starts at 61 but rewrites 10..40
  await wal.append(entries(41, 50, 2)); // segment 4 starts at 41
  assert.equal(wal.stats().segments, 4);

  await wal.releaseTo(35);
  assert.equal(wal.stats().segments, 3, 'only segment 1 holds nothing above 35');
  await wal.releaseTo(45);
  assert.equal(wal.stats().segments, 3, 'segment 2 may hold entries up to 60, so it stays');
  await wal.close();

  const replayed = await reopen(options);
  assert.equal(replayed.firstIndex, 10);
  assert.deepEqual(replayed.entries, entries(10, 50, 2));
});

test('with fsync off appends are still written, and no fsync is timed', async (t) => {
  const dir = await tempDir(t);
  const synced: number[] = [];
  const options = { dir, fsync: false, log: warnings().log, onSync: (seconds: number) => synced.push(seconds) };
  const { wal } = await Wal.open(options);
  await wal.append(entries(1, 3, 1), { term: 1, vote: '', commit: 0 });
  await wal.close();
  assert.deepEqual(synced, []);
  assert.deepEqual((await reopen(options)).entries, entries(1, 3, 1));

  const { wal: syncing } = await Wal.open({ ...options, fsync: true });
  await syncing.append(entries(4, 4, 1));
  await syncing.close();
  assert.equal(synced.length, 1);
  assert.ok(synced[0] >= 0);
});

test('a closed log refuses appends', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open({ dir, fsync: true, log: warnings().log });
  await wal.close();
  await assert.rejects(wal.append(entries(1, 1, 1)), /closed/);
});
