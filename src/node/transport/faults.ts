// The message-level faults of the `fault` admin op, for drills: which messages a node drops,
// loses, duplicates or delays. A partition is drop lists on both sides.
import * as z from 'zod';
import { MessageType, type Message, type NodeId } from '../../raft/types.ts';
import { faultFields, type FaultState } from '../../shared/protocol/node-status.ts';

/** Fields given replace those faults; fields left out keep their current value. */
export type FaultSpec = Partial<FaultState>;

const faultSpecSchema = z.strictObject(faultFields, { error: 'must be an object' }).partial();

export function noFaults(): FaultState {
  return { dropTo: [], dropFrom: [], delayMs: 0, jitterMs: 0, lossRate: 0, duplicateRate: 0 };
}

export class Faults {
  private current = noFaults();
  private dropTo = new Set<NodeId>();
  private dropFrom = new Set<NodeId>();

  /** Throws an Error naming the bad field when `spec` is out of bounds; then nothing changes. */
  set(spec: FaultSpec): FaultState {
    const parsed = faultSpecSchema.safeParse(spec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new Error(`bad fault: ${field}${issue.message}`);
    }
    this.current = { ...this.current, ...parsed.data };
    this.dropTo = new Set(this.current.dropTo);
    this.dropFrom = new Set(this.current.dropFrom);
    return this.state();
  }

  clear(): FaultState {
    return this.set(noFaults());
  }

  state(): FaultState {
    return { ...this.current, dropTo: [...this.current.dropTo], dropFrom: [...this.current.dropFrom] };
  }

  dropsFrom(peer: NodeId): boolean {
    return this.dropFrom.has(peer);
  }

  delays(): boolean {
    return this.current.delayMs > 0 || this.current.jitterMs > 0;
  }

  /** Jitter of zero keeps a peer's messages in order (the delay queue sees to that). */
  jitters(): boolean {
    return this.current.jitterMs > 0;
  }

  delayMs(random: () => number): number {
    return this.current.delayMs + random() * this.current.jitterMs;
  }

  /**
   * Splits one peer's outgoing messages into those that travel (a duplicated one appears twice,
   * next to itself) and those that are dropped. Snapshots are dropped and lost, never duplicated.
   */
  outbound(to: NodeId, messages: Message[], random: () => number): { pass: Message[]; dropped: Message[] } {
    if (this.dropTo.has(to)) return { pass: [], dropped: messages };
    const { lossRate, duplicateRate } = this.current;
    if (lossRate === 0 && duplicateRate === 0) return { pass: messages, dropped: [] };
    const pass: Message[] = [];
    const dropped: Message[] = [];
    for (const message of messages) {
      if (lossRate > 0 && random() < lossRate) {
        dropped.push(message);
        continue;
      }
      pass.push(message);
      if (duplicateRate > 0 && message.type !== MessageType.Snap && random() < duplicateRate) pass.push(message);
    }
    return { pass, dropped };
  }
}
