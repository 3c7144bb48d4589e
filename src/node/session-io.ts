// What the `/client` and `/admin` sessions share: reading a text frame, sending a JSON answer,
// and turning a failure into the protocol's failure frame.
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { failure, type FailureFrame } from '../shared/protocol/errors.ts';
import type { Logger } from './logger.ts';
import { NodeError } from './node-error.ts';

/** A peer that reads its answers this slowly is cut off rather than buffered without end. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export function frameText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/** Sends one JSON frame if the connection is still open; `then` runs once it is written (or could not be). */
export function sendJson(ws: WebSocket, log: Logger, frame: object, then?: () => void): void {
  if (ws.readyState !== ws.OPEN) {
    then?.();
    return;
  }
  if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
    log.warn({ bufferedBytes: ws.bufferedAmount }, 'closing a connection that does not read its answers');
    ws.terminate();
    then?.();
    return;
  }
  ws.send(JSON.stringify(frame), then && (() => then()));
}

/**
 * Returns a function that holds `socket`'s writes until the end of the current tick: answers
 * resolved together (a Ready's applied entries) then leave in one writev, not one syscall each.
 */
export function writeBatcher(socket: Duplex): () => void {
  let held = false;
  return () => {
    if (held) return;
    held = true;
    socket.cork();
    process.nextTick(() => {
      held = false;
      socket.uncork();
    });
  };
}

/**
 * The failure frame for an error thrown while serving request `id`. A NodeError carries its code;
 * anything else is a bug whose effect is unknown, so it is answered like a timeout.
 */
export function failureFor(id: number, error: unknown, log: Logger): FailureFrame {
  if (error instanceof NodeError) {
    return failure(id, error.code, error.message, { leaderId: error.leaderId, leaderUrl: error.leaderUrl });
  }
  log.error({ err: error, requestId: id }, 'request failed unexpectedly');
  return failure(id, 'TIMEOUT', `internal error (${(error as Error)?.message ?? String(error)}); the outcome is unknown`);
}
