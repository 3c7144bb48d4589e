// Payloads of the write-ahead log records (binary, little-endian):
//   SegmentHeader: u8 version | u64 segment number | u64 first index
//   Entries:       u64 first index | u32 count | count × (u64 term | u8 type | u32 length | data)
//   HardState:     u64 term | u64 commit | u16 length | vote (UTF-8)
//   LogReset:      u64 snapshot index
import { EntryType } from '../../raft/types.ts';
import type { Entry, HardState } from '../../raft/types.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter, stringSize } from './byte-writer.ts';
import { FRAME_BYTES, RecordType, writeRecord } from './wal-record.ts';

export const WAL_FORMAT_VERSION = 1;

const HEADER_PAYLOAD_BYTES = 1 + 8 + 8;
const ENTRY_OVERHEAD_BYTES = 8 + 1 + 4;

export interface SegmentHeader {
  seq: number;
  firstIndex: number;
}

export type WalRecord =
  | { type: RecordType.SegmentHeader; header: SegmentHeader }
  | { type: RecordType.Entries; entries: Entry[] }
  | { type: RecordType.HardState; hardState: HardState }
  | { type: RecordType.LogReset; index: number };

/** The opening records of a new segment: its header, then the hard state in force. */
export function encodeSegmentStart(header: SegmentHeader, hardState: HardState): Buffer {
  const writer = new ByteWriter(FRAME_BYTES + HEADER_PAYLOAD_BYTES + hardStateRecordBytes(hardState));
  writeRecord(writer, RecordType.SegmentHeader, HEADER_PAYLOAD_BYTES, () => {
    writer.u8(WAL_FORMAT_VERSION);
    writer.u64(header.seq);
    writer.u64(header.firstIndex);
  });
  writeHardState(writer, hardState);
  return writer.buffer;
}

/** One append as one buffer: an optional log reset, the entries, then the optional hard state. */
export function encodeAppend(entries: Entry[], hardState: HardState | undefined, resetIndex: number | undefined): Buffer {
  let entriesPayload = 8 + 4;
  for (const entry of entries) entriesPayload += ENTRY_OVERHEAD_BYTES + entry.data.length;
  const size =
    (resetIndex === undefined ? 0 : FRAME_BYTES + 8) +
    (entries.length === 0 ? 0 : FRAME_BYTES + entriesPayload) +
    (hardState === undefined ? 0 : hardStateRecordBytes(hardState));
  const writer = new ByteWriter(size);
  if (resetIndex !== undefined) writeRecord(writer, RecordType.LogReset, 8, () => writer.u64(resetIndex));
  if (entries.length > 0) {
    writeRecord(writer, RecordType.Entries, entriesPayload, () => {
      writer.u64(entries[0].index);
      writer.u32(entries.length);
      for (const entry of entries) {
        writer.u64(entry.term);
        writer.u8(entry.type);
        writer.u32(entry.data.length);
        writer.bytes(entry.data);
      }
    });
  }
  if (hardState !== undefined) writeHardState(writer, hardState);
  return writer.buffer;
}

function hardStateRecordBytes(hardState: HardState): number {
  return FRAME_BYTES + 8 + 8 + stringSize(hardState.vote);
}

function writeHardState(writer: ByteWriter, hardState: HardState): void {
  writeRecord(writer, RecordType.HardState, 8 + 8 + stringSize(hardState.vote), () => {
    writer.u64(hardState.term);
    writer.u64(hardState.commit);
    writer.string(hardState.vote);
  });
}

/**
 * Decodes the payload in bytes[start, end); throws a plain Error when it is malformed. The
 * payload is copied once, so that entry data (views into the copy) does not pin the whole file.
 */
export function decodeRecord(type: RecordType, bytes: Buffer, start: number, end: number): WalRecord {
  const reader = new ByteReader(new Uint8Array(bytes.subarray(start, end)));
  const record = decodePayload(type, reader);
  reader.finish();
  return record;
}

function decodePayload(type: RecordType, reader: ByteReader): WalRecord {
  switch (type) {
    case RecordType.SegmentHeader: {
      const version = reader.u8();
      if (version !== WAL_FORMAT_VERSION) throw new Error(`unsupported segment format version ${version}`);
      return { type, header: { seq: reader.u64(), firstIndex: reader.u64() } };
    }
    case RecordType.Entries: {
      const firstIndex = reader.u64();
      const count = reader.u32();
      if (count === 0) throw new Error('entries record holds no entries');
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) {
        const term = reader.u64();
        const entryType = reader.u8();
        if (!(entryType in EntryType)) throw new Error(`entry ${firstIndex + i} has unknown type ${entryType}`);
        entries.push({ term, index: firstIndex + i, type: entryType, data: reader.bytes(reader.u32()) });
      }
      return { type, entries };
    }
    case RecordType.HardState:
      return { type, hardState: { term: reader.u64(), commit: reader.u64(), vote: reader.string() } };
    case RecordType.LogReset:
      return { type, index: reader.u64() };
  }
}
