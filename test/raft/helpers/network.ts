// A tiny message-passing harness: a few cores, an in-memory stable store per core that follows
// the Ready contract, and a network that delivers messages in order until nothing moves.
// Links can be cut and messages filtered, so a test can script exactly who hears what.
import type { Raft } from '../../../src/raft/raft.ts';
import type { Entry, Message, NodeId, PersistedState, ReadState, Ready } from '../../../src/raft/types.ts';
import { newRaft } from './fixtures.ts';
import type { TestOptions } from './fixtures.ts';

export class TestNode {
  readonly raft: Raft;
  /** What this node's stable storage holds, written from each Ready as a node would. */
  readonly stored: PersistedState;
  readonly applied: Entry[] = [];
  readonly readStates: ReadState[] = [];
  /** Every Ready this node processed, oldest first. */
  readonly readies: Ready[] = [];

  constructor(id: NodeId, persisted: PersistedState, opts: TestOptions) {
    this.stored = structuredClone(persisted);
    this.raft = newRaft(id, structuredClone(persisted), opts);
  }

  /** Persists, applies and acknowledges every pending Ready; returns the messages to send. */
  processReady(): Message[] {
    const out: Message[] = [];
    for (let i = 0; this.raft.hasReady(); i++) {
      if (i >= 1000) throw new Error('core still has a Ready after 1000 batches');
      const rd = this.raft.ready();
      this.readies.push(rd);
      if (rd.snapshot) {
        this.stored.snapshot = rd.snapshot;
        this.stored.entries = this.stored.entries.filter((e) => e.index > rd.snapshot!.meta.index);
      }
      if (rd.entries.length > 0) {
        const from = rd.entries[0].index;
        this.stored.entries = [...this.stored.entries.filter((e) => e.index < from), ...rd.entries];
      }
      if (rd.hardState) this.stored.hardState = rd.hardState;
      out.push(...rd.messages);
      this.applied.push(...rd.committedEntries);
      this.readStates.push(...rd.readStates);
      this.raft.advance();
    }
    return out;
  }

  /** [index, term] of every stored entry, for comparing logs. */
  logIds(): Array<[number, number]> {
    return this.stored.entries.map((e) => [e.index, e.term]);
  }
}

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Every message a core sent, in order, including dropped ones. */
  readonly sent: Message[] = [];
  /** Messages for which this returns true are lost. */
  drop: (m: Message) => boolean = () => false;
  private readonly cutLinks = new Set<string>();

  constructor(states: Record<NodeId, PersistedState>, opts: TestOptions = {}) {
    let seed = opts.seed ?? 1;
    for (const [id, state] of Object.entries(states)) {
      this.nodes.set(id, new TestNode(id, state, { ...opts, seed: seed++ }));
    }
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id} in the network`);
    return n;
  }

  raft(id: NodeId): Raft {
    return this.node(id).raft;
  }

  /** Cuts both directions between `a` and `b`. */
  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(`${a}>${b}`);
    this.cutLinks.add(`${b}>${a}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cut(id, other);
  }

  heal(): void {
    this.cutLinks.clear();
    this.drop = () => false;
  }

  /**
   * Delivers messages (and the messages they cause) until every core is quiet. Messages to ids
   * not in the network are recorded in `sent` and lost. Returns how many were delivered.
   */
  settle(maxMessages = 100_000): number {
    let delivered = 0;
    let queue = this.collect();
    while (queue.length > 0) {
      for (const m of queue) {
        const target = this.nodes.get(m.to);
        if (!target || this.cutLinks.has(`${m.from}>${m.to}`) || this.drop(m)) continue;
        if (++delivered > maxMessages) throw new Error(`network did not settle within ${maxMessages} messages`);
        target.raft.step(structuredClone(m));
      }
      queue = this.collect();
    }
    return delivered;
  }

  /** One tick on each given node (all nodes by default), then settle. */
  tick(ids: NodeId[] = [...this.nodes.keys()], times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const id of ids) this.raft(id).tick();
      this.settle();
    }
  }

  private collect(): Message[] {
    const out: Message[] = [];
    for (const n of this.nodes.values()) out.push(...n.processReady());
    this.sent.push(...out);
    return out;
  }
}
