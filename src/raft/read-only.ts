// ReadIndex rounds on the leader: each read waits for a heartbeat quorum that proves the leader
// still leads, then may be served once the state machine reaches the commit index it recorded.
// Heartbeats carry the leader's own round number, so callers' contexts never collide.
import type { NodeId } from './types.ts';

interface PendingRead {
  round: number;
  index: number;
  /** Who asked: the leader itself, or a follower to answer with ReadIndexResp. */
  from: NodeId;
  context: string;
  acks: Set<NodeId>;
}

export class ReadOnlyQueue {
  private pending: PendingRead[] = [];
  /** Never reset, so a round number is never reused by this leader. */
  private rounds = 0;

  add(context: string, index: number, from: NodeId): void {
    this.pending.push({ round: ++this.rounds, index, from, context, acks: new Set() });
  }

  /** Records a heartbeat acknowledgement of `round`; returns the acks so far. */
  ack(round: string, from: NodeId): ReadonlySet<NodeId> | undefined {
    const read = this.pending.find((r) => String(r.round) === round);
    if (!read) return undefined;
    read.acks.add(from);
    return read.acks;
  }

  /** Removes and returns every read of `round` or an earlier one: a quorum confirmed them all. */
  release(round: string): PendingRead[] {
    const at = this.pending.findIndex((r) => String(r.round) === round);
    return at < 0 ? [] : this.pending.splice(0, at + 1);
  }

  /** The newest round, to be carried by the next heartbeat. */
  last(): string | undefined {
    const read = this.pending[this.pending.length - 1];
    return read ? String(read.round) : undefined;
  }

  clear(): void {
    this.pending = [];
  }
}
