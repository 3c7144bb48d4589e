import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EntryType } from '../../src/raft/types.ts';
import type { Snapshot } from '../../src/raft/types.ts';
import { DataDirError, openDataDir } from '../../src/node/storage/index.ts';
import type { DataDirOptions } from '../../src/node/storage/index.ts';
import { entries, tempDir, warnings } from './helpers.ts';

function options(dir: string, extra: Partial<DataDirOptions> = {}): DataDirOptions {
  return { dir, id: 'n1', cluster: 'alpha', fsync: true, log: warnings().log, ...extra };
}

function snapshotAt(index: number, term: number): Snapshot {
  return { meta: { index, term, conf: { voters: ['n1'], learners: [], urls: {} } }, data: new TextEncoder().encode(`state at ${index}`) };
}

test('a new directory is laid out, reported fresh, and locked until closed', async (t) => {
  const dir = join(await tempDir(t), 'node-1');
  const dataDir = await openDataDir(options(dir));
  assert.equal(dataDir.fresh, true);
  assert.deepEqual(dataDir.state, { hardState: { term: 0, vote: '', commit: 0 }, snapshot: undefined, entries: [] });
  assert.deepEqual((await readdir(dir)).sort(), ['lock', 'meta.json', 'snap', 'wal']);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')), { format: 1, id: 'n1', cluster: 'alpha' });
  assert.equal((await readFile(join(dir, 'lock'), 'utf8')).trim(), String(process.pid));
  await dataDir.close();
  assert.deepEqual((await readdir(dir)).sort(), ['meta.json', 'snap', 'wal']);
});

test('stored state wins on reopen; a directory that never got past creation stays fresh', async (t) => {
  const dir = await tempDir(t);
  const first = await openDataDir(options(dir));
  await first.close();
  const second = await openDataDir(options(dir));
  assert.equal(second.fresh, true, 'nothing was stored yet');
  const bootstrap = { term: 1, index: 1, type: EntryType.Conf, data: new Uint8Array([9]) };
  await second.wal.append([bootstrap], { term: 1, vote: '', commit: 1 });
  await second.close();

  const third = await openDataDir(options(dir));
  await third.close();
  assert.equal(third.fresh, false);
  assert.deepEqual(third.state.hardState, { term: 1, vote: '', commit: 1 });
  assert.deepEqual(third.state.entries, [bootstrap]);
});

test('another member id or cluster name is refused', async (t) => {
  const dir = await tempDir(t);
  await (await openDataDir(options(dir))).close();
  await assert.rejects(
    openDataDir(options(dir, { id: 'n2' })),
    new DataDirError(`data directory ${dir} belongs to member "n1" of cluster "alpha", not to member "n2" of cluster "alpha"`),
  );
  await assert.rejects(openDataDir(options(dir, { cluster: 'beta' })), /belongs to member "n1" of cluster "alpha", not to member "n1" of cluster "beta"/);
  assert.deepEqual((await readdir(dir)).sort(), ['meta.json', 'snap', 'wal'], 'a refused open leaves no lock behind');
});

test('a damaged or foreign meta.json is refused with a clear message', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'meta.json'), '{"format": 1, "id": "n1"');
  await assert.rejects(openDataDir(options(dir)), new RegExp(`${dir}/meta.json is not valid JSON`));
  await writeFile(join(dir, 'meta.json'), '{"format": 2, "id": "n1", "cluster": "alpha"}');
  await assert.rejects(openDataDir(options(dir)), /meta.json has format 2; this version reads format 1/);
  await writeFile(join(dir, 'meta.json'), '{"format": 1, "id": 7, "cluster": "alpha"}');
  await assert.rejects(openDataDir(options(dir)), /meta.json is invalid/);
});

test('state without meta.json is not adopted', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'wal'));
  await assert.rejects(openDataDir(options(dir)), /holds wal but no meta.json/);
});

test('a path that is not a directory is refused', async (t) => {
  const file = join(await tempDir(t), 'plain-file');
  await writeFile(file, 'x');
  await assert.rejects(openDataDir(options(file)), new DataDirError(`data directory ${file} is not a directory`));
  await assert.rejects(openDataDir(options(join(file, 'below'))), /is not a directory/);
});

test('a directory in use by a live process is refused', async (t) => {
  const dir = await tempDir(t);
  const open = await openDataDir(options(dir));
  await assert.rejects(openDataDir(options(dir)), new RegExp(`data directory ${dir} is in use by process ${process.pid}`));
  await open.close();

  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    await writeFile(join(dir, 'lock'), `${child.pid}\n`);
    await assert.rejects(openDataDir(options(dir)), new RegExp(`in use by process ${child.pid}`));
  } finally {
    child.kill('SIGKILL');
  }
});

test('the lock of a process that has exited is taken over with a warning', async (t) => {
  const dir = await tempDir(t);
  await (await openDataDir(options(dir))).close();
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  try {
    await once(child, 'exit');
  } finally {
    child.kill('SIGKILL');
  }
  await writeFile(join(dir, 'lock'), `${child.pid}\n`);
  const seen = warnings();
  const dataDir = await openDataDir(options(dir, { log: seen.log }));
  try {
    assert.match(seen.seen.join('\n'), new RegExp(`taking over the lock of process ${child.pid}, which is not running`));
    assert.equal((await readFile(join(dir, 'lock'), 'utf8')).trim(), String(process.pid));
  } finally {
    await dataDir.close();
  }
});

test('recovery joins the snapshot with the log after released segments', async (t) => {
  const dir = await tempDir(t);
  const dataDir = await openDataDir(options(dir, { segmentBytes: 2048 }));
  for (let first = 1; first <= 200; first += 10) await dataDir.wal.append(entries(first, first + 9, 2), { term: 2, vote: 'n1', commit: first + 9 });
  await dataDir.snapshots.save(snapshotAt(150, 2));
  await dataDir.wal.releaseTo(150);
  await dataDir.close();

  const reopened = await openDataDir(options(dir, { segmentBytes: 2048 }));
  try {
    assert.equal(reopened.fresh, false);
    assert.equal(reopened.state.snapshot?.meta.index, 150);
    assert.equal(reopened.snapshotFile?.snapshot, reopened.state.snapshot);
    assert.deepEqual(reopened.state.entries, entries(151, 200, 2));
    assert.deepEqual(reopened.state.hardState, { term: 2, vote: 'n1', commit: 200 });
  } finally {
    await reopened.close();
  }
});

async function damageNewestSnapshot(dir: string): Promise<string> {
  const file = join(dir, 'snap', (await readdir(join(dir, 'snap'))).sort().at(-1)!);
  const bytes = await readFile(file);
  bytes[bytes.length - 5] ^= 0xff;
  await writeFile(file, bytes);
  return file;
}

test('a damaged newest snapshot falls back to the older one when the log covers the gap', async (t) => {
  const dir = await tempDir(t);
  const dataDir = await openDataDir(options(dir));
  await dataDir.wal.append(entries(1, 100, 1), { term: 1, vote: '', commit: 100 });
  await dataDir.snapshots.save(snapshotAt(40, 1));
  await dataDir.snapshots.save(snapshotAt(80, 1));
  await dataDir.close();
  const damaged = await damageNewestSnapshot(dir);

  const seen = warnings();
  const reopened = await openDataDir(options(dir, { log: seen.log }));
  try {
    assert.equal(reopened.state.snapshot?.meta.index, 40);
    assert.deepEqual(reopened.state.entries, entries(41, 100, 1));
    assert.match(seen.seen.join('\n'), new RegExp(`${damaged} is corrupt at byte offset \\d+: checksum mismatch.*the snapshot at index 40`));
  } finally {
    await reopened.close();
  }
});

test('a damaged newest snapshot is refused when the log no longer covers the gap', async (t) => {
  const dir = await tempDir(t);
  const dataDir = await openDataDir(options(dir, { segmentBytes: 2048 }));
  for (let first = 1; first <= 100; first += 10) await dataDir.wal.append(entries(first, first + 9, 1), { term: 1, vote: '', commit: first + 9 });
  await dataDir.snapshots.save(snapshotAt(40, 1));
  await dataDir.snapshots.save(snapshotAt(80, 1));
  await dataDir.wal.releaseTo(80);
  await dataDir.close();
  const damaged = await damageNewestSnapshot(dir);

  await assert.rejects(openDataDir(options(dir, { segmentBytes: 2048 })), (error: unknown) => {
    assert.ok(error instanceof DataDirError);
    assert.match(error.message, /^cannot recover: the write-ahead log starts at index \d+ but the newest intact snapshot ends at index 40/);
    assert.ok(error.message.includes(`${damaged} is corrupt at byte offset`), error.message);
    return true;
  });
  assert.ok(!(await readdir(dir)).includes('lock'), 'a refused open leaves no lock behind');
});
