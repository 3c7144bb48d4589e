// Puts the chunks of a snapshot from one peer back together. At most one partial snapshot per
// connection (so per peer): a first chunk starts a new one, replacing whatever was partial. When
// the last chunk carries a CRC-32C, the whole snapshot must match it.
import { MessageType, type Message, type SnapshotMeta } from '../../raft/types.ts';
import { crc32c } from '../storage/crc32c.ts';
import type { SnapshotChunk } from './codec.ts';

/** Largest snapshot a peer may send; its bytes are allocated when the first chunk arrives. */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

interface PartialSnapshot {
  term: number;
  meta: SnapshotMeta;
  totalBytes: number;
  data: Buffer;
  received: number;
  /** CRC-32C of the bytes received so far, kept as they arrive to spare a long pass at the end. */
  checksum: number;
}

export type Assembly =
  | { kind: 'partial' }
  | { kind: 'complete'; message: Message }
  | { kind: 'discarded'; reason: string };

export class SnapshotAssembler {
  private partial: PartialSnapshot | undefined;

  add(chunk: SnapshotChunk): Assembly {
    if (chunk.meta !== undefined) {
      if (chunk.totalBytes > MAX_SNAPSHOT_BYTES) {
        this.partial = undefined;
        return { kind: 'discarded', reason: `snapshot of ${chunk.totalBytes} bytes exceeds the limit of ${MAX_SNAPSHOT_BYTES}` };
      }
      this.partial = { term: chunk.term, meta: chunk.meta, totalBytes: chunk.totalBytes, data: Buffer.allocUnsafe(chunk.totalBytes), received: 0, checksum: 0 };
    }
    const partial = this.partial;
    if (partial === undefined) {
      return { kind: 'discarded', reason: `chunk at offset ${chunk.offset} of snapshot ${chunk.snapshotIndex} arrived without its first chunk` };
    }
    if (
      partial.meta.index !== chunk.snapshotIndex ||
      partial.meta.term !== chunk.snapshotTerm ||
      partial.term !== chunk.term ||
      partial.totalBytes !== chunk.totalBytes ||
      partial.received !== chunk.offset
    ) {
      this.partial = undefined;
      return {
        kind: 'discarded',
        reason: `chunk at offset ${chunk.offset} of snapshot ${chunk.snapshotIndex} does not continue snapshot ${partial.meta.index} (${partial.received} of ${partial.totalBytes} bytes received)`,
      };
    }
    partial.data.set(chunk.data, chunk.offset);
    partial.received += chunk.data.length;
    partial.checksum = crc32c(chunk.data, 0, chunk.data.length, partial.checksum);
    if (!chunk.last) return { kind: 'partial' };
    this.partial = undefined;
    if (chunk.crc32c !== undefined && chunk.crc32c !== partial.checksum) {
      return {
        kind: 'discarded',
        reason: `snapshot ${chunk.snapshotIndex} fails its checksum: CRC-32C ${hex(partial.checksum)} of the ${partial.totalBytes} bytes received, ${hex(chunk.crc32c)} sent`,
      };
    }
    return { kind: 'complete', message: snapMessage(chunk, partial) };
  }

  /** Forgets the partial snapshot (its chunks were dropped). */
  reset(): void {
    this.partial = undefined;
  }
}

function hex(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

function snapMessage(chunk: SnapshotChunk, partial: PartialSnapshot): Message {
  return {
    type: MessageType.Snap,
    from: chunk.from,
    to: chunk.to,
    term: chunk.term,
    logTerm: 0,
    index: 0,
    commit: 0,
    entries: [],
    reject: false,
    rejectHint: 0,
    context: '',
    snapshot: { meta: partial.meta, data: partial.data },
  };
}
