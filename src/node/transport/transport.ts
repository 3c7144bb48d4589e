// The peer transport of a raft-node on `/raft`: one dialled WebSocket per peer for what this
// node sends, the sockets peers dial in for what it receives, and the drill faults between the
// two. Sends never block and never queue without bound: what cannot go is dropped and reported.
// Peers come from setPeers, and also from their handshakes (learned-peers.ts).
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { MessageType, type Message, type NodeId } from '../../raft/types.ts';
import { isMemberUrl } from '../../shared/protocol/fields.ts';
import type { FaultState } from '../../shared/protocol/node-status.ts';
import { DelayQueue } from './delay-queue.ts';
import { Faults, type FaultSpec } from './faults.ts';
import { CloseCode, isAdvertiseUrl } from './handshake.ts';
import { InboundPeer, type InboundContext } from './inbound-peer.ts';
import { LEARNED_IDLE_MS, LearnedPeers } from './learned-peers.ts';
import { PeerLink, type LinkContext, type PeerStats } from './peer-link.ts';
import { snapshotDropped, type SnapshotReport } from './snapshot-sender.ts';
import { closeSocket, type TransportLog } from './socket.ts';

export type { FaultSpec } from './faults.ts';
export type { PeerStats } from './peer-link.ts';
export type { SnapshotReport } from './snapshot-sender.ts';
export type { TransportLog } from './socket.ts';

/** How often learned links are checked for peers that went silent. */
const LEARNED_SWEEP_MS = 5000;

export interface TransportOptions {
  id: NodeId;
  cluster: string;
  /** This node's URL (ws:// or wss://), sent in the handshake so that peers can answer it. */
  advertise: string;
  /** Sent as `Authorization: Bearer TOKEN` when dialling peers. */
  token?: string;
  /** When dialling wss:// peers, verify them against this CA (else the system's). */
  tls?: { ca?: Buffer };
  log: TransportLog;
  /** Inbound messages, decoded; a chunked snapshot arrives as one Snap message once complete. */
  onMessages(messages: Message[]): void;
  /** A Snap message was written in full (ok) or the attempt failed. */
  onSnapshotSent(report: SnapshotReport): void;
  /** A send to `to` failed: no connection, or dropped by backpressure. */
  onUnreachable(to: NodeId): void;
  /** For loss, duplication, jitter and backoff; defaults to Math.random. */
  random?: () => number;
}

export class Transport {
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly delayed = new Map<NodeId, DelayQueue>();
  private readonly inbound = new Set<InboundPeer>();
  private readonly inboundByPeer = new Map<NodeId, InboundPeer>();
  private readonly unknownPeersLogged = new Set<NodeId>();
  private readonly learned = new LearnedPeers();
  private learnedSweep: NodeJS.Timeout | undefined;
  private readonly faultState = new Faults();
  private readonly random: () => number;
  private readonly advertise: string;
  private closed = false;

  /** Throws when `opts.advertise` is not a URL peers could dial. */
  constructor(private readonly opts: TransportOptions) {
    if (!isAdvertiseUrl(opts.advertise)) throw new Error(`advertise URL ${JSON.stringify(opts.advertise)} is not a ws:// or wss:// URL with a host`);
    this.advertise = baseUrl(opts.advertise);
    this.random = opts.random ?? Math.random;
  }

  /**
   * The other members' advertise URLs (ws:// or wss://, no path). Dials new peers, redials
   * peers whose URL changed, closes removed ones (a learned link it never named stays: see
   * learned-peers.ts). An invalid URL is logged and that peer skipped.
   */
  setPeers(urls: Record<NodeId, string>): void {
    if (this.closed) return;
    const wanted = new Map<NodeId, string>();
    for (const [id, url] of Object.entries(urls)) {
      if (id === this.opts.id) continue;
      if (!isMemberUrl(url)) {
        this.opts.log.error({ peer: id, url }, 'peer URL is not a ws:// or wss:// URL with a host; not dialling it');
        continue;
      }
      wanted.set(id, baseUrl(url));
    }
    for (const [id, link] of this.links) {
      const url = wanted.get(id);
      if (url === link.url) continue;
      if (url === undefined) {
        if (this.learned.has(id)) continue;
        this.learned.dropped(id);
        this.dropDelayed(id);
      }
      this.links.delete(id);
      void link.close(true);
    }
    for (const [id, url] of wanted) {
      this.learned.named(id);
      if (this.links.has(id)) continue;
      this.links.set(id, new PeerLink(id, url, this.linkContext()));
    }
    this.unknownPeersLogged.clear();
  }

  /** Never blocks. Each peer's messages from one call leave as one frame, snapshots as chunks. */
  send(messages: Message[]): void {
    if (this.closed) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const message of messages) {
      const batch = byPeer.get(message.to);
      if (batch) batch.push(message);
      else byPeer.set(message.to, [message]);
    }
    for (const [to, batch] of byPeer) this.sendTo(to, batch);
  }

  /** An inbound `/raft` socket, already authorized by the server. */
  handleConnection(ws: WebSocket, req: IncomingMessage): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    this.inbound.add(new InboundPeer(ws, req, this.inboundContext()));
  }

  /** Fields given replace those faults, the rest stay; throws on a value out of bounds. */
  setFaults(spec: FaultSpec): FaultState {
    const state = this.faultState.set(spec);
    this.opts.log.info({ faults: state }, 'transport faults set');
    return state;
  }

  clearFaults(): FaultState {
    const state = this.faultState.clear();
    this.opts.log.info({}, 'transport faults cleared');
    return state;
  }

  faults(): FaultState {
    return this.faultState.state();
  }

  /** Per peer; `queuedBytes` counts the socket's buffer and messages held by a delay fault. */
  peerStats(): Record<NodeId, PeerStats> {
    const stats: Record<NodeId, PeerStats> = {};
    for (const [id, link] of this.links) {
      const peer = link.stats();
      peer.queuedBytes += this.delayed.get(id)?.queuedBytes() ?? 0;
      stats[id] = peer;
    }
    return stats;
  }

  /** Closes every socket and cancels every timer; callbacks stop. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.learnedSweep);
    for (const queue of this.delayed.values()) queue.clear();
    this.delayed.clear();
    const closing = [...this.links.values()].map((link) => link.close(false));
    this.links.clear();
    for (const conn of this.inbound) closing.push(closeSocket(conn.ws, CloseCode.ShuttingDown, 'the node is shutting down'));
    await Promise.all(closing);
  }

  private sendTo(to: NodeId, batch: Message[]): void {
    if (!this.links.has(to)) return this.unknownPeer(to, batch);
    const { pass, dropped } = this.faultState.outbound(to, batch, this.random);
    for (const message of dropped) {
      if (message.type === MessageType.Snap) this.snapshotSent(snapshotDropped(to, message));
    }
    if (pass.length === 0) return;
    const queue = this.delayed.get(to);
    if (!this.faultState.delays() && !queue) return this.links.get(to)?.send(pass);
    this.delay(to, pass);
  }

  private delay(to: NodeId, messages: Message[]): void {
    let queue = this.delayed.get(to);
    if (!queue) {
      const created = new DelayQueue((due) => this.releaseDelayed(to, created, due));
      this.delayed.set(to, created);
      queue = created;
    }
    let refused = false;
    for (const message of messages) {
      if (queue.push(message, this.faultState.delayMs(this.random), this.faultState.jitters())) continue;
      refused = true;
      if (message.type === MessageType.Snap) this.snapshotSent(snapshotDropped(to, message));
    }
    if (refused) this.unreachable(to);
  }

  private releaseDelayed(to: NodeId, queue: DelayQueue, messages: Message[]): void {
    // An empty queue with no delay in force is dropped, so sends go straight out again.
    if (queue.queuedBytes() === 0 && !this.faultState.delays()) this.delayed.delete(to);
    this.links.get(to)?.send(messages);
  }

  private unknownPeer(to: NodeId, batch: Message[]): void {
    if (!this.unknownPeersLogged.has(to)) {
      this.unknownPeersLogged.add(to);
      this.opts.log.warn({ peer: to }, 'no URL known for this peer; dropping messages to it');
    }
    for (const message of batch) {
      if (message.type === MessageType.Snap) this.snapshotSent(snapshotDropped(to, message));
    }
    this.unreachable(to);
  }

  /** A frame came from `peer`: link to it at `url` if nothing else does (learned-peers.ts). */
  private heard(peer: NodeId, url: string): void {
    if (this.closed || !this.learned.heard(peer, this.links.has(peer), performance.now())) return;
    const learnedUrl = baseUrl(url);
    this.opts.log.info({ peer, url: learnedUrl }, 'a peer the configuration does not name sent frames; answering it at the URL from its handshake');
    this.links.set(peer, new PeerLink(peer, learnedUrl, this.linkContext()));
    this.learnedSweep ??= setInterval(() => this.expireLearned(), LEARNED_SWEEP_MS);
  }

  private expireLearned(): void {
    for (const peer of this.learned.expire(performance.now())) {
      this.opts.log.info({ peer }, `closing the learned link to a peer silent for ${LEARNED_IDLE_MS / 1000} s`);
      void this.links.get(peer)?.close(true);
      this.links.delete(peer);
      this.dropDelayed(peer);
    }
    if (this.learned.size > 0) return;
    clearInterval(this.learnedSweep);
    this.learnedSweep = undefined;
  }

  private dropDelayed(peer: NodeId): void {
    this.delayed.get(peer)?.clear();
    this.delayed.delete(peer);
  }

  private linkContext(): LinkContext {
    return {
      id: this.opts.id,
      cluster: this.opts.cluster,
      advertise: this.advertise,
      token: this.opts.token,
      ca: this.opts.tls?.ca,
      log: this.opts.log,
      random: this.random,
      unreachable: (to) => this.unreachable(to),
      snapshotSent: (report) => this.snapshotSent(report),
    };
  }

  private inboundContext(): InboundContext {
    return {
      id: this.opts.id,
      cluster: this.opts.cluster,
      log: this.opts.log,
      faults: this.faultState,
      accepted: (peer, conn) => {
        const older = this.inboundByPeer.get(peer);
        this.inboundByPeer.set(peer, conn);
        older?.refuse(CloseCode.Replaced, 'replaced by a newer connection from the same member');
      },
      closed: (conn) => {
        this.inbound.delete(conn);
        if (conn.peer !== undefined && this.inboundByPeer.get(conn.peer) === conn) this.inboundByPeer.delete(conn.peer);
      },
      heard: (peer, url) => this.heard(peer, url),
      deliver: (messages) => {
        if (!this.closed) this.opts.onMessages(messages);
      },
    };
  }

  // Callbacks into the node are guarded: a throw there must not break the transport's state.
  private unreachable(to: NodeId): void {
    if (this.closed) return;
    try {
      this.opts.onUnreachable(to);
    } catch (error) {
      this.opts.log.error({ peer: to, err: error }, 'onUnreachable failed');
    }
  }

  private snapshotSent(report: SnapshotReport): void {
    if (this.closed) return;
    try {
      this.opts.onSnapshotSent(report);
    } catch (error) {
      this.opts.log.error({ peer: report.to, err: error }, 'onSnapshotSent failed');
    }
  }
}

/** A member URL as links compare and dial it: without trailing slashes. */
function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
