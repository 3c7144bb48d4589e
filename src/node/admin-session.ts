// One `/admin` connection (SPEC): status, event subscription, membership, leadership transfer,
// snapshots, and the fault-injection ops (fault, pause, crash).
import type { WebSocket } from 'ws';
import { parseAdminRequest, type AdminRequest, type AdminSuccess, type FaultSet } from '../shared/protocol/admin.ts';
import { failure } from '../shared/protocol/errors.ts';
import type { FaultState, NodeStatus } from '../shared/protocol/node-status.ts';
import type { AdminEventFeed } from './admin-event-feed.ts';
import type { Logger } from './logger.ts';
import type { RaftLoop } from './raft-loop.ts';
import { failureFor, frameText, sendJson } from './session-io.ts';

export interface FaultControl {
  set(faults: FaultSet): FaultState;
  clear(): FaultState;
}

export interface AdminSessionDeps {
  loop: RaftLoop;
  faults: FaultControl;
  feed: AdminEventFeed;
  status(): NodeStatus;
  log: Logger;
}

export function serveAdmin(ws: WebSocket, deps: AdminSessionDeps): void {
  const { log } = deps;
  let unsubscribe: (() => void) | undefined;
  ws.on('close', () => unsubscribe?.());
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      sendJson(ws, log, failure(undefined, 'BAD_REQUEST', 'frame: must be a text frame holding one JSON object'));
      return;
    }
    const parsed = parseAdminRequest(frameText(data));
    if (!parsed.ok) {
      sendJson(ws, log, failure(parsed.id, parsed.code, parsed.message));
      return;
    }
    const request = parsed.request;
    switch (request.op) {
      case 'subscribe':
        sendJson(ws, log, ack(request));
        unsubscribe ??= deps.feed.subscribe((event) => sendJson(ws, log, event));
        return;
      case 'pause':
        log.warn({ ms: request.ms }, 'pausing the whole process on request');
        sendJson(ws, log, ack(request), () => blockProcess(request.ms));
        return;
      case 'crash':
        log.warn('crashing on request');
        sendJson(ws, log, ack(request), () => process.kill(process.pid, 'SIGKILL'));
        return;
    }
    execute(request, deps).then(
      (answer) => sendJson(ws, log, answer),
      (error: unknown) => sendJson(ws, log, failureFor(request.id, error, log)),
    );
  });
}

/** The ops answered once the node has carried them out. */
type DeferredRequest = Exclude<AdminRequest, { op: 'subscribe' | 'pause' | 'crash' }>;

async function execute(request: DeferredRequest, deps: AdminSessionDeps): Promise<AdminSuccess> {
  const { loop } = deps;
  switch (request.op) {
    case 'status':
      return { id: request.id, ok: true, op: 'status', status: deps.status() };
    case 'add-member': {
      const type = request.learner ? 'add-learner' : 'add-voter';
      await loop.changeMembership({ type, id: request.memberId, url: request.url });
      return ack(request);
    }
    case 'promote-member':
      await loop.changeMembership({ type: 'promote', id: request.memberId });
      return ack(request);
    case 'remove-member':
      await loop.changeMembership({ type: 'remove', id: request.memberId });
      return ack(request);
    case 'transfer-leadership':
      await loop.transferLeadership(request.to);
      return ack(request);
    case 'snapshot':
      return { id: request.id, ok: true, op: 'snapshot', snapshot: await loop.snapshotNow() };
    case 'fault': {
      const faults = 'clear' in request ? deps.faults.clear() : deps.faults.set(request.set);
      deps.feed.faultsChanged(faults);
      return { id: request.id, ok: true, op: 'fault', faults };
    }
  }
}

function ack(request: Exclude<AdminRequest, { op: 'status' | 'snapshot' | 'fault' }>): AdminSuccess {
  return { id: request.id, ok: true, op: request.op };
}

/** Stops the whole process, timers and sockets included: a stand-in for SIGSTOP or a long GC pause. */
function blockProcess(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
