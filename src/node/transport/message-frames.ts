// One peer's messages from one send() as frames: one frame, unless the batch is too large for the
// frame limit, then as few as fit.
import type { Message } from '../../raft/types.ts';
import { encodeFrame, MAX_PEER_FRAME_BYTES } from './codec.ts';

/** Half the frame limit: the estimate below is rough, the limit is not. */
const FRAME_BUDGET_BYTES = MAX_PEER_FRAME_BYTES / 2;

/** Throws CodecError when a message cannot be encoded. */
export function encodeMessageFrames(messages: Message[]): Buffer[] {
  const frames: Buffer[] = [];
  let batch: Message[] = [];
  let batchBytes = 0;
  for (const message of messages) {
    const bytes = estimateBytes(message);
    if (batch.length > 0 && batchBytes + bytes > FRAME_BUDGET_BYTES) {
      frames.push(encodeFrame({ kind: 'messages', messages: batch }));
      batch = [];
      batchBytes = 0;
    }
    batch.push(message);
    batchBytes += bytes;
  }
  if (batch.length > 0) frames.push(encodeFrame({ kind: 'messages', messages: batch }));
  return frames;
}

function estimateBytes(message: Message): number {
  let bytes = 64 + message.from.length * 3 + message.to.length * 3 + message.context.length * 3;
  for (const entry of message.entries) bytes += 24 + entry.data.length;
  return bytes;
}
