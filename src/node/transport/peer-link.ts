// The one outbound WebSocket to one peer: dials `URL/raft`, opens with the handshake, redials with
// backoff when the connection fails or the peer stops answering pings, and sends this node's
// messages and snapshots over it. What cannot leave now (no connection, a full socket buffer) is
// dropped and reported: Raft retries.
import { WebSocket } from 'ws';
import { MessageType, type Message, type NodeId } from '../../raft/types.ts';
import { Backoff, type BackoffOptions } from '../../shared/backoff.ts';
import { encodeFrame, MAX_PEER_FRAME_BYTES, PEER_PROTOCOL_VERSION } from './codec.ts';
import { CloseCode, isRefusal } from './handshake.ts';
import { Keepalive, MAX_UNANSWERED_PINGS, PING_INTERVAL_MS } from './keepalive.ts';
import { encodeMessageFrames } from './message-frames.ts';
import { snapshotDropped, SnapshotSender, type SnapshotReport } from './snapshot-sender.ts';
import { closeSocket, type TransportLog } from './socket.ts';

/** Above this many bytes waiting in a peer's socket, messages other than snapshots are dropped. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const DIAL_TIMEOUT_MS = 5000;
/** Redial soon (a restarted peer is back within an election timeout), but never more than every 2 s. */
const PEER_BACKOFF: BackoffOptions = { initialMs: 50, maxMs: 2000, jitter: 0.5 };
/** After a refusal, a connection counts as accepted once it has stayed open this long. */
const ACCEPTED_AFTER_MS = 1000;

export interface LinkContext {
  id: NodeId;
  cluster: string;
  /** This node's advertise URL, sent in the handshake. */
  advertise: string;
  token?: string;
  ca?: Buffer;
  log: TransportLog;
  random: () => number;
  unreachable(to: NodeId): void;
  snapshotSent(report: SnapshotReport): void;
}

export interface PeerStats {
  /** The link is open and its handshake sent. */
  connected: boolean;
  /** Bytes not yet handed to the kernel. */
  queuedBytes: number;
  /** Message frames; snapshots are counted by onSnapshotSent. */
  framesSent: number;
  /** Message frames dropped: no connection, backpressure, or a message that would not encode. */
  framesDropped: number;
  /** Dials after the first one. */
  reconnects: number;
}

/** Peer traffic needs no masking (it protects browsers' proxies); an all-zero mask lets ws skip a copy of every frame. */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

export class PeerLink {
  private ws: WebSocket | undefined;
  private open = false;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private snapshot: SnapshotSender | undefined;
  /** Set while the connection is open. */
  private keepalive: Keepalive | undefined;
  /** The last problem logged, so that a peer that stays down is logged once, not every redial. */
  private lastProblem = '';
  private refused = false;
  private acceptedTimer: NodeJS.Timeout | undefined;
  private dials = 0;
  private framesSent = 0;
  private framesDropped = 0;

  constructor(
    readonly peer: NodeId,
    readonly url: string,
    private readonly ctx: LinkContext,
  ) {
    this.backoff = new Backoff(PEER_BACKOFF, ctx.random);
    this.dial();
  }

  /** Sends snapshots as chunks and everything else as one frame (more only when it is huge). */
  send(messages: Message[]): void {
    const batch: Message[] = [];
    for (const message of messages) {
      if (message.type === MessageType.Snap) this.sendSnapshot(message);
      else batch.push(message);
    }
    if (batch.length > 0) this.sendBatch(batch);
  }

  stats(): PeerStats {
    return {
      connected: this.open,
      queuedBytes: this.ws?.bufferedAmount ?? 0,
      framesSent: this.framesSent,
      framesDropped: this.framesDropped,
      reconnects: Math.max(0, this.dials - 1),
    };
  }

  /**
   * Closes the link for good. `failSnapshot`: report a snapshot in flight as failed (the peer was
   * removed); otherwise the node is shutting down and nobody listens any more.
   */
  close(failSnapshot: boolean): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.acceptedTimer);
    this.keepalive?.stop();
    this.keepalive = undefined;
    if (failSnapshot) this.snapshot?.fail('the peer was removed');
    else this.snapshot?.abandon();
    this.snapshot = undefined;
    this.open = false;
    const ws = this.ws;
    this.ws = undefined;
    return ws ? closeSocket(ws, CloseCode.ShuttingDown, 'closed by the sender') : Promise.resolve();
  }

  private sendBatch(batch: Message[]): void {
    const ws = this.ws;
    if (!ws || !this.open || ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.framesDropped++;
      this.ctx.unreachable(this.peer);
      return;
    }
    let frames: Buffer[];
    try {
      frames = encodeMessageFrames(batch);
    } catch (error) {
      this.ctx.log.error({ peer: this.peer, err: error }, 'cannot encode messages for a peer; dropped them');
      this.framesDropped++;
      this.ctx.unreachable(this.peer);
      return;
    }
    const keepalive = this.keepalive;
    for (const frame of frames) {
      ws.send(frame, (error) => {
        if (!error) keepalive?.wrote();
      });
    }
    this.framesSent += frames.length;
  }

  private sendSnapshot(message: Message): void {
    const ws = this.ws;
    const snapshot = message.snapshot;
    const keepalive = this.keepalive;
    if (!snapshot) {
      this.ctx.log.error({ peer: this.peer }, 'a Snap message without a snapshot; dropped it');
      this.ctx.snapshotSent(snapshotDropped(this.peer, message));
      return;
    }
    if (!ws || !this.open || !keepalive) {
      this.ctx.log.warn({ peer: this.peer }, 'not connected to the peer; a snapshot for it was dropped');
      this.ctx.snapshotSent(snapshotDropped(this.peer, message));
      return;
    }
    if (this.snapshot) {
      this.ctx.log.info({ peer: this.peer, index: this.snapshot.index }, 'a newer snapshot replaces the one being sent');
      this.snapshot.abandon();
    }
    const outcome = (ok: boolean, bytes: number, durationMs: number, problem?: string) => {
      if (this.snapshot === sender) this.snapshot = undefined;
      const { index, term } = snapshot.meta;
      if (ok) this.ctx.log.info({ peer: this.peer, index, bytes, durationMs: Math.round(durationMs) }, 'snapshot sent');
      else this.ctx.log.warn({ peer: this.peer, index, problem }, 'sending a snapshot failed');
      this.ctx.snapshotSent({ to: this.peer, ok, index, term, bytes, durationMs });
    };
    const sender: SnapshotSender = new SnapshotSender(ws, message, snapshot, outcome, () => keepalive.wrote());
    this.snapshot = sender;
    sender.start();
  }

  private dial(): void {
    this.reconnectTimer = undefined;
    this.dials++;
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${this.url}/raft`, {
        perMessageDeflate: false,
        maxPayload: MAX_PEER_FRAME_BYTES,
        handshakeTimeout: DIAL_TIMEOUT_MS,
        generateMask: zeroMask,
        headers: this.ctx.token === undefined ? {} : { authorization: `Bearer ${this.ctx.token}` },
        ...(this.ctx.ca === undefined ? {} : { ca: this.ctx.ca }),
      });
    } catch (error) {
      this.problem('error', `cannot dial ${this.url}/raft: ${(error as Error).message}`);
      this.backoff.slowest();
      this.redial();
      return;
    }
    this.ws = ws;
    let opened = false;
    let failure = '';
    ws.on('open', () => {
      opened = true;
      this.onOpen(ws);
    });
    ws.on('message', () => {
      this.ctx.log.warn({ peer: this.peer, url: this.url }, 'the peer sent a frame on the connection this node dialled; closing it');
      ws.terminate();
    });
    ws.on('error', (error) => {
      failure = error.message;
    });
    ws.on('close', (code, reason) => this.onClose(ws, opened, code, reason.toString(), failure));
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws) return;
    try {
      const { cluster, id, advertise } = this.ctx;
      ws.send(encodeFrame({ kind: 'handshake', handshake: { cluster, from: id, to: this.peer, protocolVersion: PEER_PROTOCOL_VERSION, url: advertise } }));
    } catch (error) {
      this.ctx.log.error({ peer: this.peer, err: error }, 'cannot encode the handshake');
      ws.terminate();
      return;
    }
    this.open = true;
    this.keepalive = new Keepalive(ws, () => {
      this.problem('warn', `the peer answered no ping for ${(MAX_UNANSWERED_PINGS * PING_INTERVAL_MS) / 1000} s; reconnecting`);
      ws.terminate();
    });
    this.backoff.reset();
    // A refusing peer closes right after the handshake: wait before calling that a connection.
    if (this.refused) this.acceptedTimer = setTimeout(() => this.accepted(), ACCEPTED_AFTER_MS);
    else this.accepted();
  }

  private accepted(): void {
    this.refused = false;
    this.lastProblem = '';
    this.ctx.log.info({ peer: this.peer, url: this.url, reconnects: Math.max(0, this.dials - 1) }, 'connected to peer');
  }

  private onClose(ws: WebSocket, opened: boolean, code: number, reason: string, failure: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.open = false;
    clearTimeout(this.acceptedTimer);
    this.keepalive?.stop();
    this.keepalive = undefined;
    this.snapshot?.fail(`the connection closed (${code}${reason ? `: ${reason}` : ''})`);
    this.snapshot = undefined;
    if (this.closed) return;
    if (!opened) {
      this.problem('warn', `cannot connect to ${this.url}/raft: ${failure || 'the connection closed'}`);
    } else if (isRefusal(code)) {
      this.problem('error', `the peer refused this node (code ${code}): ${reason}`);
      this.refused = true;
      this.backoff.slowest();
    } else {
      this.problem('info', `connection to the peer lost (code ${code}${reason ? `: ${reason}` : ''})`);
    }
    this.redial();
  }

  private redial(): void {
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => this.dial(), this.backoff.next());
  }

  private problem(level: 'info' | 'warn' | 'error', text: string): void {
    if (text === this.lastProblem) return;
    this.lastProblem = text;
    this.ctx.log[level]({ peer: this.peer, url: this.url }, text);
  }
}
