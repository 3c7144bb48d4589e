import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../../src/raft/types.ts';
import { SnapshotCorruptError, SnapshotStore } from '../../src/node/storage/index.ts';
import { tempDir, warnings } from './helpers.ts';

function snapshot(index: number, term: number, size = 1000): Snapshot {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + index) & 0xff;
  const conf = { voters: ['n1', 'n2', 'n3'], learners: ['n4'], urls: { n1: 'ws://127.0.0.1:7001', n4: 'ws://127.0.0.1:7004' } };
  return { meta: { index, term, conf }, data };
}

function fileName(index: number): string {
  return `snap-${String(index).padStart(20, '0')}.snap`;
}

test('save then load returns the same snapshot', async (t) => {
  const dir = await tempDir(t);
  const store = await SnapshotStore.open({ dir, fsync: true, log: warnings().log });
  assert.deepEqual(await store.loadLatest(), { problems: [] });

  const saved = snapshot(42, 3);
  const { file, bytes } = await store.save(saved);
  assert.equal(file, join(dir, fileName(42)));
  const loaded = await store.loadLatest();
  assert.deepEqual(loaded.problems, []);
  assert.equal(loaded.latest?.file, file);
  assert.equal(loaded.latest?.bytes, bytes);
  assert.deepEqual(loaded.latest?.snapshot.meta, saved.meta);
  assert.deepEqual([...loaded.latest!.snapshot.data], [...saved.data]);
});

test('only the newest two snapshots are kept', async (t) => {
  const dir = await tempDir(t);
  const store = await SnapshotStore.open({ dir, fsync: true, log: warnings().log });
  for (const index of [10, 20, 30, 40]) await store.save(snapshot(index, 1));
  assert.deepEqual((await readdir(dir)).sort(), [fileName(30), fileName(40)]);
  assert.equal((await store.loadLatest()).latest?.snapshot.meta.index, 40);
});

test('a damaged newest snapshot is reported with file and offset, and the older one is returned', async (t) => {
  const dir = await tempDir(t);
  const store = await SnapshotStore.open({ dir, fsync: true, log: warnings().log });
  await store.save(snapshot(10, 1));
  await store.save(snapshot(20, 2));
  const newest = join(dir, fileName(20));
  const bytes = await readFile(newest);
  bytes[500] ^= 0x01;
  await writeFile(newest, bytes);

  const loaded = await store.loadLatest();
  assert.equal(loaded.latest?.snapshot.meta.index, 10);
  assert.equal(loaded.problems.length, 1);
  const [problem] = loaded.problems;
  assert.ok(problem instanceof SnapshotCorruptError);
  assert.equal(problem.file, newest);
  assert.equal(problem.offset, bytes.length - 4);
  assert.match(problem.message, new RegExp(`${newest} is corrupt at byte offset ${bytes.length - 4}: checksum mismatch`));
});

test('empty, truncated and foreign snapshot files are all reported', async (t) => {
  const dir = await tempDir(t);
  const store = await SnapshotStore.open({ dir, fsync: true, log: warnings().log });
  await store.save(snapshot(30, 1));
  await store.save(snapshot(40, 1));
  await truncate(join(dir, fileName(40)), 10);
  await writeFile(join(dir, fileName(30)), 'hello, this is not a snapshot file at all');
  await writeFile(join(dir, fileName(50)), '');
  const { latest, problems } = await store.loadLatest();
  assert.equal(latest, undefined);
  assert.deepEqual(
    problems.map((p) => [p.file, p.offset]),
    [
      [join(dir, fileName(50)), 0],
      [join(dir, fileName(40)), 10],
      [join(dir, fileName(30)), 0],
    ],
  );
  assert.match(problems[2].message, /bad magic/);
});

test('a snapshot whose metadata names another index than its file is reported', async (t) => {
  const dir = await tempDir(t);
  const store = await SnapshotStore.open({ dir, fsync: true, log: warnings().log });
  await store.save(snapshot(7, 1));
  await writeFile(join(dir, fileName(8)), await readFile(join(dir, fileName(7))));
  const { latest, problems } = await store.loadLatest();
  assert.equal(latest?.snapshot.meta.index, 7);
  assert.match(problems[0].message, /holds index 7, not the 8 of its name/);
});

test('invalid metadata is refused before anything is written', async (t) => {
  const dir = await tempDir(t);
  const store = await SnapshotStore.open({ dir, fsync: true, log: warnings().log });
  const bad = snapshot(5, 1);
  await assert.rejects(store.save({ ...bad, meta: { ...bad.meta, index: -1 } }), /invalid snapshot metadata/);
  await assert.rejects(store.save({ ...bad, meta: { ...bad.meta, conf: { voters: 'n1' } as never } }), /invalid snapshot metadata/);
  assert.deepEqual(await readdir(dir), []);
});

test('a save that a crash interrupted leaves a temporary file that open removes', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, `${fileName(9)}.tmp`), 'half a snapshot');
  const seen = warnings();
  const store = await SnapshotStore.open({ dir, fsync: true, log: seen.log });
  assert.deepEqual(await readdir(dir), []);
  assert.match(seen.seen[0], /removed unfinished snapshot file/);
  assert.deepEqual(await store.loadLatest(), { problems: [] });
});
