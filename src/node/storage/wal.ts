// A segmented write-ahead log for entries and hard state. Each append is one write, durable when it
// returns (O_DSYNC; group commit); segments roll over at a size limit and are released after snapshots.
import { constants } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry, HardState } from '../../raft/types.ts';
import { encodeAppend, encodeSegmentStart } from './wal-codec.ts';
import { parseSegmentFileName, scanSegment, segmentFileName } from './wal-segment.ts';
import { LogReplay } from './wal-replay.ts';
import { makeDir, syncDir, writeFully } from './durable-fs.ts';
import { WalCorruptError } from './errors.ts';
import { RecordType } from './wal-record.ts';
import { validateAppend } from './wal-validate.ts';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface WalOptions {
  dir: string;
  /** Off only for experiments: appends are written but never fsynced. */
  fsync: boolean;
  /** A segment rolls over once it has reached this size (default 64 MiB). */
  segmentBytes?: number;
  /** Receives warnings, such as a torn tail cut off at open. */
  log: (warning: string) => void;
  /** Called with the duration of every fsync of an append, in seconds. */
  onSync?: (seconds: number) => void;
}

/** What the log holds after replay. */
export interface WalContents {
  hardState: HardState;
  /** The first index the log covers: entries[0].index, or lastIndex + 1 when it holds none. */
  firstIndex: number;
  entries: Entry[];
}

interface WalSettings {
  dir: string;
  fsync: boolean;
  segmentBytes: number;
  onSync?: (seconds: number) => void;
}

interface Segment {
  seq: number;
  firstIndex: number;
  file: string;
  bytes: number;
}

export class Wal {
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    private readonly options: WalSettings,
    private readonly segments: Segment[],
    private handle: FileHandle,
    private lastIndex: number,
    private hardState: HardState,
  ) {}

  /** Replays every segment (cutting off a torn tail of the last one) and opens the log for appends. */
  static async open(options: WalOptions): Promise<{ wal: Wal; contents: WalContents }> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isInteger(segmentBytes) || segmentBytes < 1024) throw new Error(`segmentBytes must be an integer >= 1024, got ${segmentBytes}`);
    const settings: WalSettings = { dir: options.dir, fsync: options.fsync, segmentBytes, onSync: options.onSync };
    await makeDir(options.dir, options.fsync);
    const segments = await listSegments(options.dir, options.log);
    const replay = new LogReplay();

    if (segments.length === 0) {
      const { segment, handle } = await createSegment(settings, 1, 1, replay.hardState);
      return { wal: new Wal(settings, [segment], handle, 0, replay.hardState), contents: contentsOf(replay) };
    }
    for (const [i, segment] of segments.entries()) {
      await replaySegment(segment, i === segments.length - 1, replay, options);
    }
    const last = segments[segments.length - 1];
    const handle = await openForAppends(last.file, options.fsync);
    return { wal: new Wal(settings, segments, handle, replay.lastIndex, replay.hardState), contents: contentsOf(replay) };
  }

  /**
   * Persists `entries` (replacing any stored entries from entries[0].index on) and `hardState`,
   * after `reset` when a snapshot was installed: entries up to reset.index are then gone.
   * One write, durable when it returns (the segment is open with O_DSYNC): a single trip to the
   * thread pool instead of a write and an fsync.
   */
  append(entries: Entry[], hardState?: HardState, reset?: { index: number }): Promise<void> {
    return this.enqueue(async () => {
      this.assertWritable();
      validateAppend(entries, hardState, reset?.index, this.lastIndex);
      if (entries.length === 0 && hardState === undefined && reset === undefined) return;
      const bytes = encodeAppend(entries, hardState, reset?.index);
      let segment = this.segments[this.segments.length - 1];
      if (segment.bytes >= this.options.segmentBytes) segment = await this.rollOver();
      await this.guard(async () => {
        const started = performance.now();
        await writeFully(this.handle, bytes, segment.bytes);
        if (this.options.fsync) this.options.onSync?.((performance.now() - started) / 1000);
      });
      segment.bytes += bytes.length;
      if (reset !== undefined) this.lastIndex = reset.index;
      if (entries.length > 0) this.lastIndex = entries[entries.length - 1].index;
      if (hardState !== undefined) this.hardState = { ...hardState };
    });
  }

  /** Deletes the segments that hold only entries <= index; call once a snapshot at index is durable. */
  releaseTo(index: number): Promise<void> {
    return this.enqueue(async () => {
      this.assertWritable();
      if (!Number.isSafeInteger(index) || index < 0) throw new Error(`releaseTo: index must be a non-negative integer, got ${index}`);
      let released = 0;
      // A live entry of a segment lies below the next one's firstIndex, the log's end when it began.
      while (this.segments.length > 1 && this.segments[1].firstIndex <= index + 1) {
        await unlink(this.segments[0].file);
        this.segments.shift();
        released++;
      }
      if (released > 0 && this.options.fsync) await syncDir(this.options.dir);
    });
  }

  stats(): { bytes: number; segments: number; lastIndex: number } {
    const bytes = this.segments.reduce((sum, segment) => sum + segment.bytes, 0);
    return { bytes, segments: this.segments.length, lastIndex: this.lastIndex };
  }

  /** Waits for pending appends, then closes the open segment. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.handle.close();
    });
  }

  /** Runs jobs one at a time, in call order. */
  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertWritable(): void {
    if (this.closed) throw new Error('the write-ahead log is closed');
    if (this.failure) throw new Error(`the write-ahead log failed earlier and refuses writes: ${this.failure.message}`);
  }

  /** After a failed write or fsync the file's state is unknown (fsyncgate): refuse all later writes. */
  private async guard(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  private async rollOver(): Promise<Segment> {
    const seq = this.segments[this.segments.length - 1].seq + 1;
    await this.guard(async () => {
      const { segment, handle } = await createSegment(this.options, seq, this.lastIndex + 1, this.hardState);
      await this.handle.close();
      this.handle = handle;
      this.segments.push(segment);
    });
    return this.segments[this.segments.length - 1];
  }
}

/**
 * Creates a segment durably: header and hard state under a temporary name, fsync, rename,
 * directory fsync. Returns it with a handle positioned for appends.
 */
async function createSegment(
  options: WalSettings,
  seq: number,
  firstIndex: number,
  hardState: HardState,
): Promise<{ segment: Segment; handle: FileHandle }> {
  const file = join(options.dir, segmentFileName(seq, firstIndex));
  const start = encodeSegmentStart({ seq, firstIndex }, hardState);
  const handle = await open(`${file}.tmp`, 'w+');
  try {
    await writeFully(handle, start, 0);
    if (options.fsync) await handle.sync();
    await rename(`${file}.tmp`, file);
    if (options.fsync) await syncDir(options.dir);
  } finally {
    await handle.close();
  }
  return { segment: { seq, firstIndex, file, bytes: start.length }, handle: await openForAppends(file, options.fsync) };
}

/** With fsync on, every write to the segment is durable when it returns (O_DSYNC). */
function openForAppends(file: string, fsync: boolean): Promise<FileHandle> {
  return open(file, fsync ? constants.O_RDWR | constants.O_DSYNC : 'r+');
}

async function listSegments(dir: string, log: (warning: string) => void): Promise<Segment[]> {
  const segments: Segment[] = [];
  for (const name of await readdir(dir)) {
    const parsed = parseSegmentFileName(name);
    if (parsed) segments.push({ ...parsed, file: join(dir, name), bytes: 0 });
    else if (name.endsWith('.wal.tmp')) {
      // A segment whose creation a crash interrupted: it never held an acknowledged record.
      await unlink(join(dir, name));
      log(`removed unfinished write-ahead log segment ${join(dir, name)}`);
    }
  }
  segments.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segments.length; i++) {
    if (segments[i].seq !== segments[i - 1].seq + 1) {
      throw new WalCorruptError(segments[i].file, 0, `segment ${segments[i - 1].seq + 1} is missing before it`);
    }
  }
  return segments;
}

async function replaySegment(segment: Segment, isLast: boolean, replay: LogReplay, options: WalOptions): Promise<void> {
  const bytes = await readFile(segment.file);
  const scan = scanSegment(segment.file, bytes);
  const header = scan.records[0]?.record;
  if (header?.type !== RecordType.SegmentHeader) throw new WalCorruptError(segment.file, 0, 'the segment does not start with an intact header');
  if (header.header.seq !== segment.seq || header.header.firstIndex !== segment.firstIndex) {
    throw new WalCorruptError(segment.file, 0, 'the segment header does not match the file name');
  }
  for (const [i, { offset, record }] of scan.records.entries()) {
    try {
      replay.apply(record, i === 0);
    } catch (error) {
      throw new WalCorruptError(segment.file, offset, (error as Error).message);
    }
  }
  segment.bytes = scan.validBytes;
  if (!scan.damage) return;
  if (!isLast || scan.damage.intactRecordFollows) throw new WalCorruptError(segment.file, scan.validBytes, scan.damage.reason);
  await truncateTornTail(segment.file, scan.validBytes, options.fsync);
  options.log(
    `write-ahead log segment ${segment.file}: cut off a torn write at byte offset ${scan.validBytes} ` +
      `(${scan.damage.reason}; ${bytes.length - scan.validBytes} bytes dropped)`,
  );
}

async function truncateTornTail(file: string, length: number, fsync: boolean): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(length);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
}

function contentsOf(replay: LogReplay): WalContents {
  return { hardState: replay.hardState, firstIndex: replay.firstIndex, entries: replay.entries };
}
