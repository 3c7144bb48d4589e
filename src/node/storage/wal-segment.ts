// Segment files: their names, and reading one into decoded records up to the first damage.
import { readFrame } from './wal-record.ts';
import { decodeRecord } from './wal-codec.ts';
import type { WalRecord } from './wal-codec.ts';
import { WalCorruptError } from './errors.ts';

/** `<segment number>-<first index>.wal`, zero-padded so that names sort like the numbers. */
const SEGMENT_NAME = /^(\d{16})-(\d{20})\.wal$/;

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${String(seq).padStart(16, '0')}-${String(firstIndex).padStart(20, '0')}.wal`;
}

export function parseSegmentFileName(name: string): { seq: number; firstIndex: number } | undefined {
  const match = SEGMENT_NAME.exec(name);
  return match ? { seq: Number(match[1]), firstIndex: Number(match[2]) } : undefined;
}

export interface PositionedRecord {
  offset: number;
  record: WalRecord;
}

export interface SegmentScan {
  records: PositionedRecord[];
  /** Where the intact records end; the file length when the whole file is intact. */
  validBytes: number;
  /** Why no record could be read at `validBytes`, when the file goes on past it. */
  damage?: { reason: string; intactRecordFollows: boolean };
}

/**
 * Reads the records of a segment. A frame that fails its checksum or runs past the end stops the
 * scan; a payload that passes its checksum but does not decode is a bug or a foreign format, so
 * it throws a WalCorruptError.
 */
export function scanSegment(file: string, bytes: Buffer): SegmentScan {
  const records: PositionedRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const frame = readFrame(bytes, offset);
    if (!frame.ok) {
      return { records, validBytes: offset, damage: { reason: frame.reason, intactRecordFollows: intactRecordAfter(bytes, offset) } };
    }
    try {
      records.push({ offset, record: decodeRecord(frame.type, bytes, frame.payloadStart, frame.end) });
    } catch (error) {
      throw new WalCorruptError(file, offset, `malformed record: ${(error as Error).message}`);
    }
    offset = frame.end;
  }
  return { records, validBytes: offset };
}

/**
 * A torn write leaves damage only at the very end. If an intact record starts anywhere after
 * the damaged one, the damage is in the middle of the log and must not be cut away.
 */
function intactRecordAfter(bytes: Buffer, damagedOffset: number): boolean {
  for (let offset = damagedOffset + 1; offset < bytes.length; offset++) {
    if (readFrame(bytes, offset).ok) return true;
  }
  return false;
}
