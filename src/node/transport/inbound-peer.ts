// One socket a peer dialled to this node: checks its handshake, then decodes its frames into
// messages for the node, putting snapshots back together. A socket that breaks the protocol is
// logged with the peer's address and closed; nothing it sends can throw out of here.
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { Message, NodeId } from '../../raft/types.ts';
import { decodeFrame, handshakeVersion, PEER_PROTOCOL_VERSION, type PeerFrame, type SnapshotChunk } from './codec.ts';
import type { Faults } from './faults.ts';
import { CloseCode, closeReason, refuseHandshake, refuseVersion } from './handshake.ts';
import { SnapshotAssembler } from './snapshot-assembler.ts';
import { frameBytes, type TransportLog } from './socket.ts';

const HANDSHAKE_TIMEOUT_MS = 5000;

export interface InboundContext {
  id: NodeId;
  cluster: string;
  log: TransportLog;
  faults: Faults;
  /** The handshake of `conn` was accepted: it is now the connection from `peer`. */
  accepted(peer: NodeId, conn: InboundPeer): void;
  closed(conn: InboundPeer): void;
  /** A frame came from `peer`, whose handshake gave `url` as its advertise URL. */
  heard(peer: NodeId, url: string): void;
  deliver(messages: Message[]): void;
}

export class InboundPeer {
  /** Set once the handshake is accepted. */
  peer: NodeId | undefined;
  private url = '';
  private readonly address: string;
  private readonly assembler = new SnapshotAssembler();
  private readonly handshakeTimer: NodeJS.Timeout;
  private closing = false;

  constructor(
    readonly ws: WebSocket,
    req: IncomingMessage,
    private readonly ctx: InboundContext,
  ) {
    this.address = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', (error) => ctx.log.warn({ address: this.address, peer: this.peer, err: error }, 'peer connection error'));
    ws.on('close', () => {
      clearTimeout(this.handshakeTimer);
      this.assembler.reset();
      ctx.closed(this);
    });
    this.handshakeTimer = setTimeout(() => this.refuse(CloseCode.HandshakeTimeout, `no handshake within ${HANDSHAKE_TIMEOUT_MS} ms`), HANDSHAKE_TIMEOUT_MS);
  }

  /** Closes the socket; refusals and protocol errors are logged first. */
  refuse(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.handshakeTimer);
    const level = code === CloseCode.BadFrame || code === CloseCode.HandshakeTimeout ? 'warn' : code === CloseCode.Replaced ? 'info' : 'error';
    this.ctx.log[level]({ address: this.address, peer: this.peer, code }, `closing a peer connection: ${reason}`);
    this.ws.close(code, closeReason(reason));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    try {
      if (!isBinary) return this.refuse(CloseCode.BadFrame, 'expected binary frames');
      const bytes = frameBytes(data);
      let frame: PeerFrame;
      try {
        frame = decodeFrame(bytes);
      } catch (error) {
        // A peer of another version is told so, not that its handshake is garbage.
        const refusal = this.peer === undefined ? refuseVersion(handshakeVersion(bytes) ?? PEER_PROTOCOL_VERSION) : undefined;
        if (refusal) return this.refuse(refusal.code, refusal.reason);
        return this.refuse(CloseCode.BadFrame, `undecodable frame: ${(error as Error).message}`);
      }
      if (this.peer === undefined) this.onHandshake(frame);
      else this.onFrame(this.peer, frame);
    } catch (error) {
      // A failure of the node itself (say, in onMessages): keep the process and the connection.
      this.ctx.log.error({ address: this.address, peer: this.peer, err: error }, 'handling a frame from a peer failed');
    }
  }

  private onHandshake(frame: PeerFrame): void {
    if (frame.kind !== 'handshake') return this.refuse(CloseCode.BadFrame, `expected a handshake first, got a ${frame.kind} frame`);
    const refusal = refuseHandshake(frame.handshake, this.ctx);
    if (refusal) return this.refuse(refusal.code, refusal.reason);
    clearTimeout(this.handshakeTimer);
    this.peer = frame.handshake.from;
    this.url = frame.handshake.url;
    this.ctx.log.info({ address: this.address, peer: this.peer }, 'peer connected');
    this.ctx.accepted(this.peer, this);
  }

  private onFrame(peer: NodeId, frame: PeerFrame): void {
    switch (frame.kind) {
      case 'handshake':
        return this.refuse(CloseCode.BadFrame, 'a second handshake');
      case 'messages':
        for (const m of frame.messages) {
          if (m.from !== peer || m.to !== this.ctx.id) return this.refuse(CloseCode.BadFrame, misaddressed(m.from, m.to, peer));
        }
        this.ctx.heard(peer, this.url);
        if (!this.ctx.faults.dropsFrom(peer)) this.ctx.deliver(frame.messages);
        return;
      case 'snapshot-chunk':
        return this.onChunk(peer, frame.chunk);
    }
  }

  private onChunk(peer: NodeId, chunk: SnapshotChunk): void {
    if (chunk.from !== peer || chunk.to !== this.ctx.id) return this.refuse(CloseCode.BadFrame, misaddressed(chunk.from, chunk.to, peer));
    this.ctx.heard(peer, this.url);
    if (this.ctx.faults.dropsFrom(peer)) {
      this.assembler.reset();
      return;
    }
    const result = this.assembler.add(chunk);
    if (result.kind === 'discarded') {
      this.ctx.log.warn({ address: this.address, peer }, `discarded a snapshot: ${result.reason}`);
    } else if (result.kind === 'complete') {
      const snapshot = result.message.snapshot;
      this.ctx.log.info({ peer, index: snapshot?.meta.index, bytes: snapshot?.data.length }, 'snapshot received');
      this.ctx.deliver([result.message]);
    }
  }
}

function misaddressed(from: NodeId, to: NodeId, peer: NodeId): string {
  return `a message from '${from}' to '${to}' on the connection from '${peer}'`;
}
