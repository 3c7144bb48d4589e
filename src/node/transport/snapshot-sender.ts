// Streams one snapshot to a peer as chunks, a few in flight at a time, so that a snapshot of any
// size costs only a few chunks of socket buffer and heartbeats still get through between them.
import type { WebSocket } from 'ws';
import type { Message, NodeId, Snapshot } from '../../raft/types.ts';
import { crc32c } from '../storage/crc32c.ts';
import { encodeFrame } from './codec.ts';

export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
const CHUNKS_IN_FLIGHT = 4;
/** A peer that takes no chunk for this long is stalled: the attempt fails and the socket closes. */
const STALL_MS = 15_000;

export type SnapshotOutcome = (ok: boolean, bytes: number, durationMs: number, problem?: string) => void;

/** What became of one Snap message. */
export interface SnapshotReport {
  to: NodeId;
  /** Written in full to the peer's socket; false when it failed or never left. */
  ok: boolean;
  /** The snapshot's index and term (0 for a Snap message without a snapshot). */
  index: number;
  term: number;
  /** Bytes of snapshot data written: 0 when it never left. */
  bytes: number;
  durationMs: number;
}

/** The report for a Snap message dropped before any of it left. */
export function snapshotDropped(to: NodeId, message: Message): SnapshotReport {
  const meta = message.snapshot?.meta;
  return { to, ok: false, index: meta?.index ?? 0, term: meta?.term ?? 0, bytes: 0, durationMs: 0 };
}

export class SnapshotSender {
  private readonly chunkCount: number;
  private readonly startedAt = performance.now();
  private nextChunk = 0;
  private inFlight = 0;
  /** CRC-32C of the chunks encoded so far: the last chunk carries the whole snapshot's. */
  private checksum = 0;
  private finished = false;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly message: Message,
    private readonly snapshot: Snapshot,
    private readonly outcome: SnapshotOutcome,
    /** A chunk reached the socket: the peer is taking the snapshot. */
    private readonly chunkWritten: () => void,
  ) {
    this.chunkCount = Math.max(1, Math.ceil(this.snapshot.data.length / SNAPSHOT_CHUNK_BYTES));
  }

  get index(): number {
    return this.snapshot.meta.index;
  }

  start(): void {
    this.armStallTimer();
    this.pump();
  }

  /** The socket closed or failed: the attempt failed. */
  fail(problem: string): void {
    this.finish(false, problem);
  }

  /** A newer snapshot replaces this one: stop without reporting. */
  abandon(): void {
    this.finished = true;
    clearTimeout(this.stallTimer);
  }

  private pump(): void {
    const { data, meta } = this.snapshot;
    while (!this.finished && this.inFlight < CHUNKS_IN_FLIGHT && this.nextChunk < this.chunkCount) {
      const i = this.nextChunk++;
      const offset = i * SNAPSHOT_CHUNK_BYTES;
      const end = Math.min(offset + SNAPSHOT_CHUNK_BYTES, data.length);
      const last = i === this.chunkCount - 1;
      // Chunk by chunk, so that a large snapshot costs no long pause at the end.
      this.checksum = crc32c(data, offset, end, this.checksum);
      let frame: Buffer;
      try {
        frame = encodeFrame({
          kind: 'snapshot-chunk',
          chunk: {
            from: this.message.from,
            to: this.message.to,
            term: this.message.term,
            snapshotIndex: meta.index,
            snapshotTerm: meta.term,
            offset,
            totalBytes: data.length,
            ...(i === 0 ? { meta } : {}),
            data: data.subarray(offset, end),
            last,
            ...(last ? { crc32c: this.checksum } : {}),
          },
        });
      } catch (error) {
        this.finish(false, `cannot encode snapshot chunk: ${(error as Error).message}`);
        return;
      }
      this.inFlight++;
      this.ws.send(frame, (error) => this.written(error));
    }
  }

  private written(error: Error | undefined): void {
    if (this.finished) return;
    this.inFlight--;
    if (error) return this.finish(false, `writing a chunk failed: ${error.message}`);
    this.chunkWritten();
    if (this.nextChunk === this.chunkCount && this.inFlight === 0) return this.finish(true);
    this.armStallTimer();
    this.pump();
  }

  private armStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.finish(false, `the peer took no chunk for ${STALL_MS} ms`);
      this.ws.terminate();
    }, STALL_MS);
  }

  private finish(ok: boolean, problem?: string): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.stallTimer);
    this.outcome(ok, this.snapshot.data.length, performance.now() - this.startedAt, problem);
  }
}
