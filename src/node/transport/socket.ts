// Small things every `/raft` socket needs: the log interface, a bounded close, frame bytes.
import { WebSocket, type RawData } from 'ws';

export interface TransportLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** How long a closing socket may take over the close handshake before it is cut. */
const CLOSE_GRACE_MS = 500;

/** Closes `ws` with a close frame, cutting it if the peer does not answer soon; resolves once closed. */
export function closeSocket(ws: WebSocket, code: number, reason: string): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(code, reason);
  });
}

/** The bytes of one received message (ws hands over a Buffer unless told otherwise). */
export function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
