// The simulated network: messages wait in per-time buckets until they are due; links can be cut
// one way or both ways; loss, duplication and delay are drawn from the cluster's seeded Rng.
import type { Message, NodeId } from '../../src/raft/types.ts';
import type { Rng } from './rng.ts';

export interface NetworkOptions {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  /** Delivery delay in steps, drawn uniformly from [minDelay, maxDelay]; minDelay >= 1. */
  minDelay: number;
  maxDelay: number;
}

export const RELIABLE: NetworkOptions = { dropRate: 0, duplicateRate: 0, minDelay: 1, maxDelay: 1 };

function validateNetworkOptions(o: NetworkOptions): void {
  const rate = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) throw new Error(`network ${name} must be within [0, 1], got ${v}`);
  };
  rate('dropRate', o.dropRate);
  rate('duplicateRate', o.duplicateRate);
  if (!Number.isInteger(o.minDelay) || o.minDelay < 1) throw new Error(`network minDelay must be an integer >= 1, got ${o.minDelay}`);
  if (!Number.isInteger(o.maxDelay) || o.maxDelay < o.minDelay) {
    throw new Error(`network maxDelay must be an integer >= minDelay, got ${o.maxDelay}`);
  }
}

/** Deep enough that no two cores ever share a mutable array or entry. Data bytes are never mutated. */
function copyMessage(m: Message): Message {
  const copy: Message = { ...m, entries: m.entries.map((e) => ({ ...e })) };
  if (m.snapshot) copy.snapshot = { meta: { ...m.snapshot.meta, conf: copyConf(m.snapshot.meta.conf) }, data: m.snapshot.data };
  return copy;
}

function copyConf<T extends { voters: string[]; learners: string[]; urls: Record<string, string> }>(c: T): T {
  return { ...c, voters: [...c.voters], learners: [...c.learners], urls: { ...c.urls } };
}

export class Network {
  options: NetworkOptions;
  private readonly cutLinks = new Set<string>();
  private readonly buckets = new Map<number, Message[]>();

  constructor(
    private readonly rng: Rng,
    options: NetworkOptions = RELIABLE,
  ) {
    validateNetworkOptions(options);
    this.options = options;
  }

  setOptions(options: NetworkOptions): void {
    validateNetworkOptions(options);
    this.options = options;
  }

  /** Queues a copy of `m` (or two, or none); returns the delivery times chosen. */
  send(m: Message, now: number): number[] {
    const o = this.options;
    if (this.rng.chance(o.dropRate)) return [];
    const copies = this.rng.chance(o.duplicateRate) ? 2 : 1;
    const times: number[] = [];
    for (let i = 0; i < copies; i++) {
      const at = now + this.rng.between(o.minDelay, o.maxDelay);
      let bucket = this.buckets.get(at);
      if (!bucket) this.buckets.set(at, (bucket = []));
      bucket.push(copyMessage(m));
      times.push(at);
    }
    return times;
  }

  /** Messages due at `now`, in queue order. The caller checks links when it delivers them. */
  takeDue(now: number): Message[] {
    const bucket = this.buckets.get(now);
    if (!bucket) return [];
    this.buckets.delete(now);
    return bucket;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.size > 0 && this.cutLinks.has(`${from}>${to}`);
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cutLinks.add(`${from}>${to}`);
  }

  cut(a: NodeId, b: NodeId): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Cuts every link between different groups; nodes not named form one more group. */
  partition(groups: NodeId[][], everyone: NodeId[]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of everyone) {
      for (const b of everyone) {
        if (a !== b && (groupOf.get(a) ?? -1) !== (groupOf.get(b) ?? -1)) this.cutOneWay(a, b);
      }
    }
  }

  isolate(id: NodeId, everyone: NodeId[]): void {
    for (const other of everyone) if (other !== id) this.cut(id, other);
  }

  heal(): void {
    this.cutLinks.clear();
  }

  isPartitioned(): boolean {
    return this.cutLinks.size > 0;
  }
}
