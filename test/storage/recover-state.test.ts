import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HardState, Snapshot } from '../../src/raft/types.ts';
import { recoverState } from '../../src/node/storage/index.ts';
import type { SnapshotLoad, WalContents } from '../../src/node/storage/index.ts';
import { entries, entry, warnings } from './helpers.ts';

const hardState: HardState = { term: 3, vote: 'n1', commit: 5 };

function wal(firstIndex: number, stored = entries(firstIndex, firstIndex + 9, 2)): WalContents {
  return { hardState, firstIndex, entries: stored };
}

function loaded(index: number, term: number): SnapshotLoad {
  const snapshot: Snapshot = { meta: { index, term, conf: { voters: ['n1'], learners: [], urls: {} } }, data: new Uint8Array(0) };
  return { latest: { snapshot, file: `snap-${index}`, bytes: 100 }, problems: [] };
}

test('without a snapshot the whole log is the state', () => {
  const state = recoverState(wal(1), { problems: [] }, warnings().log);
  assert.deepEqual(state, { hardState, snapshot: undefined, entries: entries(1, 10, 2) });
});

test('entries up to the snapshot are left out', () => {
  const snapshots = loaded(5, 2);
  const state = recoverState(wal(1), snapshots, warnings().log);
  assert.equal(state.snapshot, snapshots.latest?.snapshot);
  assert.deepEqual(state.entries, entries(6, 10, 2));
});

test('a log that stops before the snapshot contributes nothing', () => {
  assert.deepEqual(recoverState(wal(1), loaded(20, 2), warnings().log).entries, []);
});

test('a log reset right after the snapshot continues from it', () => {
  assert.deepEqual(recoverState(wal(101), loaded(100, 2), warnings().log).entries, entries(101, 110, 2));
});

test('entries that disagree with the snapshot term are dropped with a warning', () => {
  const seen = warnings();
  const state = recoverState(wal(1, [...entries(1, 4, 1), entry(5, 1), ...entries(6, 8, 1)]), loaded(5, 2), seen.log);
  assert.deepEqual(state.entries, []);
  assert.match(seen.seen[0], /log entry 5 has term 1 but the snapshot there has term 2; dropping the 3 entries after it/);
});

test('a log that starts after the snapshot is refused', () => {
  assert.throws(() => recoverState(wal(101), { problems: [] }, warnings().log), /the write-ahead log starts at index 101 but there is no intact snapshot/);
  assert.throws(() => recoverState(wal(101), loaded(90, 2), warnings().log), /starts at index 101 but the newest intact snapshot ends at index 90/);
});

test('a commit index beyond the stored entries is refused', () => {
  const contents = { hardState: { ...hardState, commit: 11 }, firstIndex: 1, entries: entries(1, 10, 2) };
  assert.throws(() => recoverState(contents, { problems: [] }, warnings().log), /the commit index 11 is beyond the last stored entry 10/);
});
