// ReadIndex rounds on the leader: each read waits for a heartbeat quorum that proves the leader
// still leads, then may be served once the state machine reaches the commit index it recorded.
import type { NodeId } from './types.ts';

interface PendingRead {
  index: number;
  /** Who asked: the leader itself, or a follower to answer with ReadIndexResp. */
  from: NodeId;
  acks: Set<NodeId>;
}

export class ReadOnlyQueue {
  private pending = new Map<string, PendingRead>();
  private order: string[] = [];

  add(context: string, index: number, from: NodeId): void {
    if (this.pending.has(context)) return;
    this.pending.set(context, { index, from, acks: new Set() });
    this.order.push(context);
  }

  /** Records a heartbeat acknowledgement carrying `context`; returns the acks so far. */
  ack(context: string, from: NodeId): ReadonlySet<NodeId> | undefined {
    const read = this.pending.get(context);
    if (!read) return undefined;
    read.acks.add(from);
    return read.acks;
  }

  /** Removes and returns every read queued up to and including `context`. */
  release(context: string): Array<PendingRead & { context: string }> {
    const at = this.order.indexOf(context);
    if (at < 0) return [];
    const done = this.order.splice(0, at + 1);
    return done.map((ctx) => {
      const read = this.pending.get(ctx)!;
      this.pending.delete(ctx);
      return { ...read, context: ctx };
    });
  }

  /** The newest context: one heartbeat round carrying it confirms every read before it too. */
  last(): string | undefined {
    return this.order[this.order.length - 1];
  }

  clear(): void {
    this.pending.clear();
    this.order = [];
  }
}
