// The frame of every write-ahead log record:
//   u32 payload length | u32 CRC-32C of (type, payload) | u8 type | payload
// The checksum covers the type byte too, so a record is either intact or detectably damaged.
import { crc32c } from './crc32c.ts';
import type { ByteWriter } from './byte-writer.ts';

export enum RecordType {
  /** First record of each segment: format version, segment number, first log index. */
  SegmentHeader = 1,
  /** A batch of contiguous entries; it replaces any stored entries from its first index on. */
  Entries = 2,
  HardState = 3,
  /** A snapshot was installed at `index`: every earlier entry is gone, the log continues after it. */
  LogReset = 4,
}

export const FRAME_BYTES = 9;

/** Writes a frame around the payload that `writePayload` encodes (exactly `payloadBytes` long). */
export function writeRecord(writer: ByteWriter, type: RecordType, payloadBytes: number, writePayload: () => void): void {
  const start = writer.position;
  writer.u32(payloadBytes);
  writer.u32(0);
  writer.u8(type);
  writePayload();
  const end = writer.position;
  if (end - start - FRAME_BYTES !== payloadBytes) throw new Error(`record payload is ${end - start - FRAME_BYTES} bytes, expected ${payloadBytes}`);
  writer.buffer.writeUInt32LE(crc32c(writer.buffer, start + 8, end), start + 4);
}

export type FrameResult =
  | { ok: true; type: RecordType; payloadStart: number; end: number }
  | { ok: false; reason: string };

/** Reads the frame at `offset`; `ok: false` explains why no intact record starts there. */
export function readFrame(bytes: Buffer, offset: number): FrameResult {
  if (offset + FRAME_BYTES > bytes.length) return { ok: false, reason: `${bytes.length - offset} bytes are too short for a record header` };
  const payloadBytes = bytes.readUInt32LE(offset);
  const end = offset + FRAME_BYTES + payloadBytes;
  if (end > bytes.length) return { ok: false, reason: `record of ${payloadBytes} bytes runs past the end of the file` };
  if (crc32c(bytes, offset + 8, end) !== bytes.readUInt32LE(offset + 4)) return { ok: false, reason: 'checksum mismatch' };
  const type = bytes[offset + 8];
  if (!(type in RecordType)) return { ok: false, reason: `unknown record type ${type}` };
  return { ok: true, type, payloadStart: offset + FRAME_BYTES, end };
}
