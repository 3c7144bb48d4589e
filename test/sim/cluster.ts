// A whole Raft cluster in one process: cores from src/raft, each with simulated stable storage and
// state machine, joined by the simulated network, driven step by step on one simulated clock.
// Every Ready is handled exactly as the contract says, and every step is checked by Invariants.
import { bootstrapEntry } from '../../src/raft/confchange.ts';
import { Raft } from '../../src/raft/raft.ts';
import { MessageType, NONE } from '../../src/raft/types.ts';
import type { ConfChange, ConfState, Message, NodeId, ProposeResult, RaftConfig, ReadState, Ready, Role, Status } from '../../src/raft/types.ts';
import { Invariants } from './invariants.ts';
import { Network, RELIABLE, type NetworkOptions } from './network.ts';
import { Rng } from './rng.ts';
import { decodeSnapshotKeys, encodeText, entryKey, keyConfChange, StateMachine } from './state-machine.ts';
import { SimStorage } from './storage.ts';
import { Trace } from './trace.ts';
import { Violation } from './violation.ts';

export interface ClusterOptions {
  seed: number;
  /** Initial voters, named n1..nN. */
  nodes: number;
  electionTicksMin?: number;
  electionTicksMax?: number;
  heartbeatTicks?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxInflight?: number;
  maxBytesPerMsg?: number;
  network?: NetworkOptions;
  /** Events kept for the trace; Infinity keeps them all. */
  traceCapacity?: number;
  /** A node snapshots its state machine once this many entries are applied past its snapshot; 0 never. */
  compactEvery?: number;
}

/** Where in the handling of a Ready a planned crash strikes. */
export type CrashPoint = 'before-persist' | 'after-persist' | 'after-send' | 'before-advance';

interface ClusterStats {
  messages: number;
  byType: Map<MessageType, number>;
  snapshotsInstalled: number;
  compactions: number;
  confChanges: number;
  crashes: number;
  transfers: number;
  reads: number;
}

export class SimNode {
  raft: Raft | undefined;
  sm = new StateMachine();
  role: Role | 'down' = 'down';
  term = 0;
  leaderId: NodeId = NONE;
  /** Read states this node received, in order. */
  readonly readStates: ReadState[] = [];
  /** Shut down for good (removed from the cluster). */
  decommissioned = false;

  constructor(
    readonly id: NodeId,
    readonly storage: SimStorage,
  ) {}

  get up(): boolean {
    return this.raft !== undefined;
  }

  status(): Status {
    if (!this.raft) throw new Error(`${this.id} is down`);
    return this.raft.status();
  }
}

function nodeIds(n: number): NodeId[] {
  return Array.from({ length: n }, (_, i) => `n${i + 1}`);
}

export const SIM_URL = (id: NodeId) => `sim://${id}`;

export class Cluster {
  readonly rng: Rng;
  readonly net: Network;
  readonly trace: Trace;
  readonly inv = new Invariants();
  readonly nodes = new Map<NodeId, SimNode>();
  readonly stats: ClusterStats = {
    messages: 0,
    byType: new Map(),
    snapshotsInstalled: 0,
    compactions: 0,
    confChanges: 0,
    crashes: 0,
    transfers: 0,
    reads: 0,
  };
  now = 0;
  /** Scenario hook: the message to deliver (maybe changed), or undefined to drop it. */
  filter: ((m: Message) => Message | undefined) | undefined;
  /** Nemesis hook: true skips a node's tick this step (clock drift). */
  skipTick: ((id: NodeId) => boolean) | undefined;
  /** Called when a removal of `id` is known committed. */
  onRemoved: ((id: NodeId) => void) | undefined;

  private readonly opts: Required<Omit<ClusterOptions, 'seed' | 'nodes' | 'network' | 'traceCapacity'>>;
  private readonly crashPlans = new Map<NodeId, { point: CrashPoint; when: (rd: Ready) => boolean }>();
  private lostSnapshots: Array<{ from: NodeId; to: NodeId }> = [];
  /** Term in which each node last received TimeoutNow: leading the next term completes a transfer. */
  private readonly timeoutNowTerm = new Map<NodeId, number>();

  constructor(options: ClusterOptions) {
    if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new Error(`nodes must be a positive integer, got ${options.nodes}`);
    this.opts = {
      electionTicksMin: options.electionTicksMin ?? 10,
      electionTicksMax: options.electionTicksMax ?? 20,
      heartbeatTicks: options.heartbeatTicks ?? 2,
      preVote: options.preVote ?? true,
      checkQuorum: options.checkQuorum ?? true,
      maxInflight: options.maxInflight ?? 64,
      maxBytesPerMsg: options.maxBytesPerMsg ?? 64 * 1024,
      compactEvery: options.compactEvery ?? 0,
    };
    this.rng = new Rng(options.seed);
    this.net = new Network(this.rng.fork(), options.network ?? RELIABLE);
    this.trace = new Trace(options.traceCapacity ?? 50);
    this.inv.onCommitted = (index, key) => this.noteCommitted(index, key);
    const ids = nodeIds(options.nodes);
    const conf: ConfState = { voters: ids, learners: [], urls: Object.fromEntries(ids.map((id) => [id, SIM_URL(id)])) };
    for (const id of ids) this.start(new SimNode(id, SimStorage.bootstrapped(bootstrapEntry(conf))));
  }

  get electionTicksMax(): number {
    return this.opts.electionTicksMax;
  }

  get electionTicksMin(): number {
    return this.opts.electionTicksMin;
  }

  get heartbeatTicks(): number {
    return this.opts.heartbeatTicks;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  /** The live leader with the highest term, if any (among `ids` when given). */
  leader(ids?: NodeId[]): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (ids && !ids.includes(n.id)) continue;
      if (n.up && n.role === 'leader' && (!best || n.term > best.term)) best = n;
    }
    return best;
  }

  // ---- time ---------------------------------------------------------------------------------

  /** One simulated tick: every live node ticks, due messages arrive, every Ready is handled. */
  step(): void {
    this.now++;
    const ticked: NodeId[] = [];
    for (const n of this.nodes.values()) {
      if (!n.raft || this.skipTick?.(n.id)) continue;
      n.raft.tick();
      ticked.push(n.id);
    }
    this.event('tick', ticked.join(','));
    this.deliver();
    this.drainAll();
  }

  run(steps: number): void {
    for (let i = 0; i < steps; i++) this.step();
  }

  /** Steps until `done()` holds; fails with the trace after `maxSteps`. Returns the steps taken. */
  runUntil(done: () => boolean, maxSteps: number, what: string): number {
    for (let i = 0; i <= maxSteps; i++) {
      if (done()) return i;
      if (i < maxSteps) this.step();
    }
    throw new Error(`${what}: not reached within ${maxSteps} steps (t=${this.now})\n${this.trace.lines().join('\n')}`);
  }

  /** Steps until some live node (among `ids` when given) leads; returns it. */
  awaitLeader(maxSteps: number, ids?: NodeId[]): SimNode {
    this.runUntil(() => this.leader(ids) !== undefined, maxSteps, `a leader among ${ids?.join(',') ?? 'all'}`);
    return this.leader(ids)!;
  }

  /** Steps until one node of `on` leads and every node of `on` follows it in its term; returns its id. */
  awaitStableLeader(on: NodeId[], maxSteps: number): NodeId {
    const agreed = () => {
      const leader = this.leader(on);
      return leader && on.every((id) => this.node(id).leaderId === leader.id && this.node(id).term === leader.term) ? leader.id : undefined;
    };
    this.runUntil(() => agreed() !== undefined, maxSteps, `one leader followed by ${on.join(',')}`);
    return agreed()!;
  }

  /** Every node id but `ids`. */
  others(...ids: NodeId[]): NodeId[] {
    return this.ids().filter((id) => !ids.includes(id));
  }

  /** Steps until `payload` is applied on every node in `ids`. */
  awaitApplied(payload: string, ids: NodeId[], maxSteps: number): void {
    this.runUntil(() => this.appliedOn(payload, ids), maxSteps, `${payload} applied on ${ids.join(',')}`);
  }

  // ---- faults -------------------------------------------------------------------------------

  crash(id: NodeId): void {
    const n = this.node(id);
    if (!n.raft) return;
    n.raft = undefined;
    n.sm = new StateMachine();
    n.role = 'down';
    n.leaderId = NONE;
    this.stats.crashes++;
    this.crashPlans.delete(id);
    this.event('crash', id);
  }

  restart(id: NodeId): void {
    const n = this.node(id);
    if (n.raft || n.decommissioned) return;
    this.event('restart', id, `term=${n.storage.hardState.term} commit=${n.storage.hardState.commit} snap=${n.storage.snapIndex()} last=${n.storage.lastIndex()}`);
    this.start(n);
  }

  /** Crashes `id` at `point` of the first Ready for which `when` holds. */
  planCrash(id: NodeId, point: CrashPoint, when: (rd: Ready) => boolean = () => true): void {
    this.crashPlans.set(id, { point, when });
  }

  cancelPlannedCrashes(): void {
    this.crashPlans.clear();
  }

  /** Shuts a node down for good, as an operator does once it is removed. */
  decommission(id: NodeId): void {
    this.crash(id);
    this.node(id).decommissioned = true;
    this.event('decommission', id);
  }

  /** A new, empty node that waits to be added by a leader. */
  addJoiner(id: NodeId): SimNode {
    if (this.nodes.has(id)) throw new Error(`node ${id} already exists; ids are never reused`);
    const n = new SimNode(id, SimStorage.empty());
    this.event('join', id);
    this.start(n);
    return n;
  }

  partition(groups: NodeId[][]): void {
    this.net.partition(groups, this.ids());
    this.event('partition', '-', groups.map((g) => `{${g.join(',')}}`).join(' '));
  }

  isolate(id: NodeId): void {
    this.net.isolate(id, this.ids());
    this.event('isolate', id);
  }

  cut(a: NodeId, b: NodeId): void {
    this.net.cut(a, b);
    this.event('cut', a, `<-> ${b}`);
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.net.cutOneWay(from, to);
    this.event('cut', from, `-> ${to}`);
  }

  heal(): void {
    this.net.heal();
    this.event('heal', '-');
  }

  // ---- requests -----------------------------------------------------------------------------

  propose(id: NodeId, payload: string): ProposeResult {
    const result = this.raftOf(id).propose(encodeText(payload));
    this.event('propose', id, `${payload} -> ${describe(result)}`);
    this.drain(this.node(id));
    return result;
  }

  proposeConfChange(id: NodeId, change: ConfChange): ProposeResult {
    const result = this.raftOf(id).proposeConfChange(change);
    this.event('confchange', id, `${JSON.stringify(change)} -> ${describe(result)}`);
    this.drain(this.node(id));
    return result;
  }

  transferLeadership(id: NodeId, to: NodeId): ProposeResult {
    const result = this.raftOf(id).transferLeadership(to);
    this.event('transfer', id, `to ${to} -> ${describe(result)}`);
    this.drain(this.node(id));
    return result;
  }

  readIndex(id: NodeId, context: string): ProposeResult {
    this.inv.readRequested(context);
    const result = this.raftOf(id).readIndex(context);
    this.event('read', id, `${context} -> ${describe(result)}`);
    this.drain(this.node(id));
    return result;
  }

  campaign(id: NodeId): void {
    this.raftOf(id).campaign();
    this.event('campaign', id);
    this.drain(this.node(id));
  }

  // ---- inspection ---------------------------------------------------------------------------

  /** Whether `payload` is applied on every node in `ids`. */
  appliedOn(payload: string, ids: NodeId[]): boolean {
    return ids.every((id) => this.node(id).sm.hasApplied(payload));
  }

  messagesSent(type?: MessageType): number {
    return type === undefined ? this.stats.messages : (this.stats.byType.get(type) ?? 0);
  }

  // ---- the node loop ------------------------------------------------------------------------

  private raftOf(id: NodeId): Raft {
    const raft = this.node(id).raft;
    if (!raft) throw new Error(`${id} is down`);
    return raft;
  }

  private config(id: NodeId, applied: number): RaftConfig {
    const random = this.rng.fork();
    return {
      id,
      electionTicksMin: this.opts.electionTicksMin,
      electionTicksMax: this.opts.electionTicksMax,
      heartbeatTicks: this.opts.heartbeatTicks,
      random: () => random.float(),
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      maxInflight: this.opts.maxInflight,
      maxBytesPerMsg: this.opts.maxBytesPerMsg,
      applied,
    };
  }

  /** Builds a fresh core from stable storage: what a process does when it (re)starts. */
  private start(n: SimNode): void {
    this.nodes.set(n.id, n);
    const snapshot = n.storage.snapshot;
    n.sm = new StateMachine(snapshot);
    const hs = n.storage.hardState;
    if (snapshot) this.inv.snapshotInstalled(n.id, hs.term, n.sm.keys);
    // What storage holds as committed must still be what was committed (the bootstrap entry, too).
    this.inv.commitAdvanced(n.id, hs.term, n.storage.snapIndex(), hs.commit, n.storage, false);
    n.raft = new Raft(this.config(n.id, n.sm.applied), n.storage.persisted());
    n.role = 'follower';
    n.term = n.storage.hardState.term;
    n.leaderId = NONE;
    this.drain(n);
  }

  private drainAll(): void {
    for (const n of this.nodes.values()) this.drain(n);
  }

  private drain(n: SimNode): void {
    while (n.raft?.hasReady()) this.handleReady(n, n.raft);
  }

  private handleReady(n: SimNode, raft: Raft): void {
    const rd = raft.ready();
    const plan = this.crashPlans.get(n.id);
    const crashAt = plan && plan.when(rd) ? plan.point : undefined;
    const crashHere = (point: CrashPoint) => {
      if (crashAt !== point) return false;
      this.event('crash-point', n.id, point);
      this.crash(n.id);
      return true;
    };
    if (crashHere('before-persist')) return;
    this.persist(n, rd);
    if (crashHere('after-persist')) return;
    for (const m of rd.messages) this.send(m);
    if (crashHere('after-send')) return;
    this.apply(n, rd);
    if (crashHere('before-advance')) return;
    raft.advance();
    if (this.opts.compactEvery > 0 && n.sm.applied - n.storage.snapIndex() >= this.opts.compactEvery) this.compactNode(n);
  }

  private persist(n: SimNode, rd: Ready): void {
    const s = n.storage;
    const term = rd.hardState?.term ?? s.hardState.term;
    const leaderAllAlong = n.role === 'leader' && n.term === term && (!rd.softState || (rd.softState.role === 'leader' && rd.softState.term === term));
    if (rd.snapshot) {
      let keys: string[];
      try {
        keys = decodeSnapshotKeys(rd.snapshot);
      } catch (e) {
        throw new Violation('snapshot-data', `${n.id}: ${(e as Error).message}`);
      }
      this.inv.snapshotInstalled(n.id, term, keys);
      s.installSnapshot(rd.snapshot);
      this.stats.snapshotsInstalled++;
      this.event('snapshot', n.id, `installed ${rd.snapshot.meta.index}@${rd.snapshot.meta.term}`);
    }
    if (rd.entries.length > 0) {
      if (leaderAllAlong && rd.entries[0].index <= s.lastIndex()) {
        throw new Violation('leader-append-only', `${n.id}, leader of term ${term}, rewrites its log from ${rd.entries[0].index} (last ${s.lastIndex()})`);
      }
      this.inv.entriesPersisted(n.id, rd.entries, s);
      s.append(n.id, rd.entries);
    }
    if (rd.hardState) {
      const hs = rd.hardState;
      const old = s.hardState;
      if (hs.term < old.term) throw new Violation('term-monotonic', `${n.id} term went from ${old.term} to ${hs.term}`);
      if (hs.commit < old.commit) throw new Violation('commit-monotonic', `${n.id} commit went from ${old.commit} to ${hs.commit}`);
      if (hs.term === old.term && old.vote !== NONE && hs.vote !== old.vote) {
        throw new Violation('one-vote-per-term', `${n.id} voted for ${old.vote} and then ${hs.vote} in term ${hs.term}`);
      }
      s.hardState = { ...hs };
      if (hs.commit > old.commit) {
        this.inv.commitAdvanced(n.id, hs.term, old.commit, hs.commit, s, leaderAllAlong);
        this.event('commit', n.id, `${hs.commit}`);
      }
    }
    if (rd.softState) {
      const ss = rd.softState;
      n.role = ss.role;
      n.term = ss.term;
      n.leaderId = ss.leaderId;
      this.event('role', n.id, `${ss.role} term=${ss.term} leader=${ss.leaderId || '-'}`);
      if (ss.role === 'leader') {
        this.inv.leaderElected(n.id, ss.term, s);
        if (this.timeoutNowTerm.get(n.id) === ss.term - 1) this.stats.transfers++;
      }
    }
  }

  private apply(n: SimNode, rd: Ready): void {
    if (rd.snapshot) n.sm = new StateMachine(rd.snapshot);
    for (const e of rd.committedEntries) {
      if (e.index !== n.sm.applied + 1) throw new Violation('apply-order', `${n.id} applies ${e.index} after ${n.sm.applied}`);
      if (e.index > n.storage.hardState.commit) {
        throw new Violation('apply-uncommitted', `${n.id} applies ${e.index} beyond its persisted commit ${n.storage.hardState.commit}`);
      }
      this.inv.applied(n.id, e.index, entryKey(e));
      n.sm.apply(e);
    }
    for (const rs of rd.readStates) {
      this.inv.readAnswered(n.id, rs);
      n.readStates.push(rs);
      this.stats.reads++;
      this.event('read-state', n.id, `${rs.context} index=${rs.index}`);
    }
  }

  private compactNode(n: SimNode): void {
    const index = n.sm.applied;
    const data = n.sm.snapshotData();
    const raft = this.raftOf(n.id);
    raft.compact(index, data);
    const kept = raft.status().snapshot;
    if (kept.index !== index || kept.term !== n.sm.appliedTerm) {
      throw new Violation('compact', `${n.id} compacted to ${index}@${n.sm.appliedTerm} but keeps a snapshot at ${kept.index}@${kept.term}`);
    }
    n.storage.compact({ meta: { index, term: n.sm.appliedTerm, conf: n.sm.conf }, data });
    this.stats.compactions++;
    this.event('compact', n.id, `${index}@${n.sm.appliedTerm}`);
  }

  private send(m: Message): void {
    this.stats.messages++;
    this.stats.byType.set(m.type, (this.stats.byType.get(m.type) ?? 0) + 1);
    const times = this.net.send(m, this.now);
    this.trace.add({ t: this.now, kind: 'send', node: m.from, msg: m, note: times.length ? `@${times.join(',')}` : 'LOST' });
    if (times.length === 0) {
      if (m.type === MessageType.Snap) this.lostSnapshots.push({ from: m.from, to: m.to });
    }
  }

  private deliver(): void {
    const lost = this.lostSnapshots;
    this.lostSnapshots = [];
    for (const { from, to } of lost) this.reportSnapshot(from, to, false);
    for (const m of this.net.takeDue(this.now)) {
      const target = this.nodes.get(m.to)?.raft;
      const blocked = !target ? 'down' : this.net.isCut(m.from, m.to) ? 'partition' : undefined;
      const msg = blocked ? undefined : this.filter ? this.filter(m) : m;
      if (!target || !msg) {
        this.trace.add({ t: this.now, kind: 'drop', node: m.to, msg: m, note: blocked ?? 'filtered' });
        if (m.type === MessageType.Snap) this.reportSnapshot(m.from, m.to, false);
        continue;
      }
      target.step(msg);
      if (m.type === MessageType.Snap) this.reportSnapshot(m.from, m.to, true);
      if (m.type === MessageType.TimeoutNow) this.timeoutNowTerm.set(m.to, m.term);
    }
  }

  private reportSnapshot(from: NodeId, to: NodeId, ok: boolean): void {
    const sender = this.nodes.get(from)?.raft;
    if (!sender) return;
    sender.reportSnapshot(to, ok);
    this.event('snap-report', from, `${to} ${ok ? 'delivered' : 'failed'}`);
  }

  private noteCommitted(index: number, key: string): void {
    const change = keyConfChange(key);
    if (!change || change.type === 'bootstrap') return;
    this.stats.confChanges++;
    if (change.type === 'remove') this.onRemoved?.(change.id);
    this.event('conf-committed', '-', `${index} ${JSON.stringify(change)}`);
  }

  private event(kind: string, node: NodeId, note?: string): void {
    this.trace.add({ t: this.now, kind, node, note });
  }
}

function describe(r: ProposeResult): string {
  return r.ok ? `ok ${r.index}@${r.term}` : `refused ${r.reason}`;
}
