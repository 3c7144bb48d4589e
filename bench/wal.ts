// Write-ahead log throughput: 64-byte entries appended in batches of 1, 64 and 512 with fsync on
// (pass `--fsync off` to compare). Each batch is one append: one write and one fsync.
// Run: node --import tsx bench/wal.ts [--seconds N] [--fsync on|off] [--dir PARENT]
// PARENT (default: the OS temp dir) must be on the disk to measure: on a RAM disk fsync is free.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EntryType } from '../src/raft/types.ts';
import type { Entry } from '../src/raft/types.ts';
import { Wal } from '../src/node/storage/index.ts';

const { values } = parseArgs({ options: {
    seconds: { type: 'string', default: '3' },
    fsync: { type: 'string', default: 'on' },
    dir: { type: 'string', default: tmpdir() },
  }, });
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got ${values.seconds}`);
if (values.fsync !== 'on' && values.fsync !== 'off') throw new Error(`--fsync must be on or off, got ${values.fsync}`);
const fsync = values.fsync === 'on';

const ENTRY_BYTES = 64;
const BATCH_SIZES = [1, 64, 512];

async function measure(batchSize: number): Promise<{ entries: number; appends: number; elapsed: number; bytes: number }> {
  const dir = await mkdtemp(join(values.dir, 'bench-wal-'));
  const { wal } = await Wal.open({ dir, fsync, log: console.warn });
  const data = new Uint8Array(ENTRY_BYTES).fill(7);
  let index = 0;
  let appends = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const batch: Entry[] = [];
      for (let i = 0; i < batchSize; i++) batch.push({ term: 1, index: ++index, type: EntryType.Normal, data });
      await wal.append(batch, { term: 1, vote: 'n1', commit: index - batchSize });
      appends++;
    }
    const elapsed = (performance.now() - started) / 1000;
    return { entries: index, appends, elapsed, bytes: wal.stats().bytes };
  } finally {
    await wal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`WAL append: ${ENTRY_BYTES}-byte entries, fsync ${values.fsync}, ${seconds}s per row, in ${values.dir}`);
console.log('batch | entries/s | appends(fsyncs)/s | MiB/s | avg append ms');
console.log('------|-----------|-------------------|-------|--------------');
for (const batchSize of BATCH_SIZES) {
  const r = await measure(batchSize);
  const row = [
    String(batchSize).padStart(5),
    Math.round(r.entries / r.elapsed).toString().padStart(9),
    Math.round(r.appends / r.elapsed).toString().padStart(17),
    (r.bytes / r.elapsed / 2 ** 20).toFixed(1).padStart(5),
    ((r.elapsed * 1000) / r.appends).toFixed(3).padStart(13),
  ];
  console.log(row.join(' | '));
}
