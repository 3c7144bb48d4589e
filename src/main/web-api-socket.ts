// One page's API socket in web mode. Until the page has sent the session token (the first frame,
// within HELLO_TIMEOUT_MS) nothing is served; a wrong token, a frame out of order or a malformed
// one closes the socket. Then calls are answered by id, in any order, and pushed updates flow
// while the page is subscribed.
import { timingSafeEqual } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import * as z from 'zod';
import type { ApiCallAnswer } from '../shared/api.ts';
import { isApiCallMethod } from '../shared/api.ts';
import {
  CLOSE_BAD_FRAME,
  CLOSE_TOO_SLOW,
  CLOSE_UNAUTHORIZED,
  type ServerFrame,
} from '../shared/web-api-protocol.ts';
import type { ApiHandlers } from './api-handlers.ts';

export const HELLO_TIMEOUT_MS = 5_000;
/** Updates not yet written to a page that reads this slowly are not piled up: it is dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** A PageFrame, with any method name (an unknown one is answered with an error). */
const pageFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), token: z.string().min(1).max(256) }).strict(),
  z.object({ type: z.literal('call'), id: z.int().nonnegative(), method: z.string().max(64), args: z.array(z.unknown()).max(8) }).strict(),
  z.object({ type: z.literal('subscribe') }).strict(),
  z.object({ type: z.literal('unsubscribe') }).strict(),
]);
type ParsedPageFrame = z.infer<typeof pageFrameSchema>;

export function serveApiSocket(socket: WebSocket, token: string, handlers: ApiHandlers): void {
  let authorized = false;
  let unsubscribe: (() => void) | undefined;
  const helloTimer = setTimeout(() => socket.close(CLOSE_UNAUTHORIZED, 'no session token'), HELLO_TIMEOUT_MS);

  const send = (frame: ServerFrame): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.close(CLOSE_TOO_SLOW, 'the page reads updates too slowly');
      return;
    }
    socket.send(JSON.stringify(frame));
  };
  const stopUpdates = (): void => {
    unsubscribe?.();
    unsubscribe = undefined;
  };

  socket.on('message', (data: RawData, isBinary: boolean) => {
    const frame = isBinary ? undefined : parseFrame(data);
    if (frame === undefined) {
      socket.close(CLOSE_BAD_FRAME, 'malformed frame');
      return;
    }
    if (!authorized) {
      if (frame.type !== 'hello' || !sameToken(frame.token, token)) {
        socket.close(CLOSE_UNAUTHORIZED, frame.type === 'hello' ? 'wrong session token' : 'send the session token first');
        return;
      }
      authorized = true;
      clearTimeout(helloTimer);
      send({ type: 'welcome' });
      return;
    }
    switch (frame.type) {
      case 'hello':
        socket.close(CLOSE_BAD_FRAME, 'already authorized');
        return;
      case 'subscribe':
        stopUpdates();
        unsubscribe = handlers.subscribe((update) => send({ type: 'update', update }));
        return;
      case 'unsubscribe':
        stopUpdates();
        return;
      case 'call':
        void answer(frame.method, frame.args).then((result) => send({ type: 'result', id: frame.id, ...result }));
        return;
    }
  });
  socket.on('close', () => {
    clearTimeout(helloTimer);
    stopUpdates();
  });
  socket.on('error', () => socket.terminate());

  async function answer(method: string, args: unknown[]): Promise<ApiCallAnswer> {
    if (!isApiCallMethod(method)) return { ok: false, error: `no API method "${method}"` };
    try {
      return { ok: true, value: await handlers.calls[method](args) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

function parseFrame(data: RawData): ParsedPageFrame | undefined {
  try {
    const parsed = pageFrameSchema.safeParse(JSON.parse(rawText(data)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
