// One `/client` connection (SPEC): key-value requests, many in flight, answered in any order.
// A bad frame is answered and the connection stays usable.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { parseClientRequest, type ClientRequest, type ClientSuccess } from '../shared/protocol/client.ts';
import { failure } from '../shared/protocol/errors.ts';
import type { KvResult } from './kv-store.ts';
import type { Logger } from './logger.ts';
import type { RaftLoop } from './raft-loop.ts';
import { failureFor, frameText, sendJson, writeBatcher } from './session-io.ts';

/** Requests in flight on the whole node; beyond it a request is refused OVERLOADED (not applied). */
export class InFlightLimit {
  private count = 0;

  constructor(readonly max: number) {}

  tryAcquire(): boolean {
    if (this.count >= this.max) return false;
    this.count++;
    return true;
  }

  release(): void {
    this.count--;
  }
}

export interface ClientSessionDeps {
  loop: RaftLoop;
  inFlight: InFlightLimit;
  log: Logger;
  unsafeLocalReads: boolean;
}

export function serveClient(ws: WebSocket, socket: Duplex, deps: ClientSessionDeps): void {
  const { inFlight, log } = deps;
  const holdWrites = writeBatcher(socket);
  const answer = (frame: object): void => {
    holdWrites();
    sendJson(ws, log, frame);
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      sendJson(ws, log, failure(undefined, 'BAD_REQUEST', 'frame: must be a text frame holding one JSON object'));
      return;
    }
    const parsed = parseClientRequest(frameText(data));
    if (!parsed.ok) {
      sendJson(ws, log, failure(parsed.id, parsed.code, parsed.message));
      return;
    }
    const request = parsed.request;
    if (!inFlight.tryAcquire()) {
      sendJson(ws, log, failure(request.id, 'OVERLOADED', `this node already has ${inFlight.max} requests in flight; retry shortly`));
      return;
    }
    execute(request, deps.loop, deps.unsafeLocalReads)
      .then(
        (success) => answer(success),
        (error: unknown) => answer(failureFor(request.id, error, log)),
      )
      .finally(() => inFlight.release());
  });
}

async function execute(request: ClientRequest, loop: RaftLoop, unsafeLocalReads: boolean): Promise<ClientSuccess> {
  const { id, key } = request;
  switch (request.op) {
    case 'get':
      // Serializable reads local state as it is; linearizable waits for a confirmed read index.
      if (request.consistency !== 'serializable' && !unsafeLocalReads) await loop.readBarrier();
      return { id, ok: true, value: loop.kv.get(key), index: loop.applied() };
    case 'put':
      return answer(id, await loop.write({ op: 'put', key, value: request.value }));
    case 'delete':
      return answer(id, await loop.write({ op: 'delete', key }));
    case 'cas':
      return answer(id, await loop.write({ op: 'cas', key, expect: request.expect, value: request.value }));
  }
}

function answer(id: number, result: KvResult & { index: number }): ClientSuccess {
  const success: ClientSuccess = { id, ok: true, value: result.value, index: result.index };
  if (result.prev !== undefined) success.prev = result.prev;
  if (result.swapped !== undefined) success.swapped = result.swapped;
  return success;
}
