// SIGKILL a writer at random moments: every index it acknowledged must be there on reopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDataDir } from '../../src/node/storage/index.ts';
import { entryData, tempDir, warnings } from './helpers.ts';

const ROUNDS = 4;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'wal-writer.ts');

/** Runs the writer until it has acknowledged something, lets it go on for `runMs`, kills it. */
async function runAndKill(dir: string, runMs: number): Promise<{ acked: number[]; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: number[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    stdout = lines.pop()!;
    for (const line of lines) acked.push(Number(/^ack (\d+)$/.exec(line)?.[1] ?? NaN));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit');
  try {
    const deadline = Date.now() + 20_000;
    while (acked.length === 0 && child.exitCode === null && Date.now() < deadline) await sleep(10);
    assert.ok(acked.length > 0, `the writer acknowledged nothing; stderr: ${stderr}`);
    await sleep(runMs);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return { acked, stderr };
}

test('every acknowledged append survives SIGKILL at a random moment', async (t) => {
  const dir = await tempDir(t);
  const acknowledged = new Set<number>();
  for (let round = 1; round <= ROUNDS; round++) {
    const runMs = 50 + Math.floor(Math.random() * 400);
    const { acked, stderr } = await runAndKill(dir, runMs);
    for (const index of acked) {
      assert.ok(Number.isSafeInteger(index), `bad line from the writer; stderr: ${stderr}`);
      acknowledged.add(index);
    }

    const seen = warnings();
    const dataDir = await openDataDir({ dir, id: 'n1', cluster: 'crash', fsync: true, segmentBytes: 16 * 1024, log: seen.log });
    try {
      const { snapshot, entries } = dataDir.state;
      const snapshotIndex = snapshot?.meta.index ?? 0;
      const firstIndex = entries[0]?.index ?? snapshotIndex + 1;
      assert.ok(firstIndex <= snapshotIndex + 1, `round ${round}: entries start at ${firstIndex} after a snapshot at ${snapshotIndex}`);
      for (const [i, stored] of entries.entries()) {
        assert.equal(stored.index, firstIndex + i, `round ${round}: entries are contiguous`);
        assert.deepEqual(stored.data, entryData(stored.index, stored.term), `round ${round}: entry ${stored.index} is intact`);
      }
      const lastIndex = entries.at(-1)?.index ?? snapshotIndex;
      const missing = [...acknowledged].filter((index) => index > lastIndex);
      assert.deepEqual(missing, [], `round ${round} (killed after ${runMs} ms, ${acked.length} acks): acknowledged indices past the last stored ${lastIndex}`);
      assert.ok(seen.seen.some((warning) => warning.includes('taking over the lock')), `round ${round}: the killed writer's lock is stale`);
    } finally {
      await dataDir.close();
    }
  }
});
