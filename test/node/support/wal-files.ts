// A member's write-ahead log on disk (layout in src/node/storage): DIR/wal/<seq>-<first>.wal,
// each a run of frames `u32 length | u32 crc | u8 type | payload`. For corrupting it on purpose.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFrame } from '../../../src/node/storage/wal-record.ts';

/** The segment a member appends to: the last one by name (names sort by segment number). */
export async function lastSegment(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'wal');
  const names = (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
  if (names.length === 0) throw new Error(`no write-ahead log segment in ${dir}`);
  return join(dir, names[names.length - 1]);
}

/** Where each intact record of a segment starts and ends, in order. */
export async function recordSpans(file: string): Promise<{ offset: number; end: number }[]> {
  const bytes = await readFile(file);
  const spans: { offset: number; end: number }[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const frame = readFrame(bytes, offset);
    if (!frame.ok) throw new Error(`${file}: no intact record at byte ${offset}: ${frame.reason}`);
    spans.push({ offset, end: frame.end });
    offset = frame.end;
  }
  return spans;
}
