// The snapshot file format:
//   "RAFTSNAP" | u32 version | u32 meta length | meta JSON {index, term, conf} | data | u32 CRC-32C
// The checksum covers every byte before it.
import { z } from 'zod';
import type { Snapshot, SnapshotMeta } from '../../raft/types.ts';
import { crc32c } from './crc32c.ts';
import { SnapshotCorruptError } from './errors.ts';

const MAGIC = Buffer.from('RAFTSNAP', 'latin1');
const VERSION = 1;
const HEADER_BYTES = MAGIC.length + 4 + 4;
const CHECKSUM_BYTES = 4;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const metaSchema = z.strictObject({
  index: count,
  term: count,
  conf: z.strictObject({
    voters: z.array(z.string()),
    learners: z.array(z.string()),
    urls: z.record(z.string(), z.string()),
  }),
});

/** Checks metadata before it is written, with the same rules a load applies. */
export function validateSnapshotMeta(meta: SnapshotMeta): void {
  const parsed = metaSchema.safeParse(meta);
  if (!parsed.success) throw new Error(`invalid snapshot metadata: ${z.prettifyError(parsed.error)}`);
}

/** The file's bytes, in pieces that are written one after the other. */
export function encodeSnapshotFile(snapshot: Snapshot): Uint8Array[] {
  const meta = Buffer.from(JSON.stringify(snapshot.meta), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(VERSION, MAGIC.length);
  header.writeUInt32LE(meta.length, MAGIC.length + 4);
  const checksum = Buffer.alloc(CHECKSUM_BYTES);
  checksum.writeUInt32LE(crc32c(snapshot.data, 0, snapshot.data.length, crc32c(meta, 0, meta.length, crc32c(header))));
  return [header, meta, snapshot.data, checksum];
}

/** Decodes a whole snapshot file; `file` names it in errors. The data is a view into `bytes`. */
export function decodeSnapshotFile(file: string, bytes: Buffer): Snapshot {
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) throw new SnapshotCorruptError(file, bytes.length, `file ends after ${bytes.length} bytes`);
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new SnapshotCorruptError(file, 0, 'not a snapshot file (bad magic)');
  const version = bytes.readUInt32LE(MAGIC.length);
  if (version !== VERSION) throw new SnapshotCorruptError(file, MAGIC.length, `unsupported version ${version}`);
  const checksumOffset = bytes.length - CHECKSUM_BYTES;
  if (crc32c(bytes, 0, checksumOffset) !== bytes.readUInt32LE(checksumOffset)) {
    throw new SnapshotCorruptError(file, checksumOffset, 'checksum mismatch (the file is damaged or truncated)');
  }
  const metaLength = bytes.readUInt32LE(MAGIC.length + 4);
  const dataStart = HEADER_BYTES + metaLength;
  if (dataStart > checksumOffset) throw new SnapshotCorruptError(file, MAGIC.length + 4, `metadata length ${metaLength} exceeds the file`);
  let meta: unknown;
  try {
    meta = JSON.parse(bytes.toString('utf8', HEADER_BYTES, dataStart));
  } catch (error) {
    throw new SnapshotCorruptError(file, HEADER_BYTES, `metadata is not JSON: ${(error as Error).message}`);
  }
  const parsed = metaSchema.safeParse(meta);
  if (!parsed.success) throw new SnapshotCorruptError(file, HEADER_BYTES, `invalid metadata: ${z.prettifyError(parsed.error)}`);
  return { meta: parsed.data, data: bytes.subarray(dataStart, checksumOffset) };
}
