// The peers the transport links to although setPeers does not name them. A node started with
// --join knows no member until the leader's log reaches it, and any node may hear from a member
// added after the configuration it last handed to setPeers; it must still answer them. So a peer
// that dials in and sends frames while setPeers does not name it gets a "learned" link, to the
// advertise URL from its handshake.
//
// setPeers stays authoritative. Once it names a learned peer, that peer is an ordinary member and
// the configuration's URL wins. A learned link that setPeers never names ends once the peer has
// sent nothing for LEARNED_IDLE_MS (it went away, or left the cluster before this node learned of
// it). A peer that setPeers named and then dropped is a member removed from the configuration: its
// link closes at once, and it is never learned again, so that it cannot keep a link open by talking.
import type { NodeId } from '../../raft/types.ts';

export const LEARNED_IDLE_MS = 30_000;

export class LearnedPeers {
  /** Each learned peer, with when a frame from it last arrived (ms). */
  private readonly lastHeard = new Map<NodeId, number>();
  /** Peers setPeers named and later dropped. */
  private readonly removed = new Set<NodeId>();

  get size(): number {
    return this.lastHeard.size;
  }

  has(peer: NodeId): boolean {
    return this.lastHeard.has(peer);
  }

  /**
   * A frame from `peer` arrived at `now`. True when a link to it is to be learned: it is not
   * learned already, not removed, and not `linked` (the transport has a link setPeers made).
   */
  heard(peer: NodeId, linked: boolean, now: number): boolean {
    if (this.lastHeard.has(peer)) {
      this.lastHeard.set(peer, now);
      return false;
    }
    if (linked || this.removed.has(peer)) return false;
    this.lastHeard.set(peer, now);
    return true;
  }

  /** setPeers names `peer`: an ordinary member from now on. */
  named(peer: NodeId): void {
    this.lastHeard.delete(peer);
    this.removed.delete(peer);
  }

  /** setPeers dropped `peer`, which it named before. */
  dropped(peer: NodeId): void {
    this.removed.add(peer);
  }

  /** The learned peers that have been silent for LEARNED_IDLE_MS at `now`; they are forgotten. */
  expire(now: number): NodeId[] {
    const idle = [...this.lastHeard].filter(([, at]) => now - at >= LEARNED_IDLE_MS).map(([peer]) => peer);
    for (const peer of idle) this.lastHeard.delete(peer);
    return idle;
  }
}
