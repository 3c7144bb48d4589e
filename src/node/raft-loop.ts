// The loop around the consensus core: ticks it, feeds it messages and requests, and carries out
// each Ready in the order that keeps acknowledged writes safe: persist (one fsync for the batch),
// send, apply, answer, advance.
import { EventEmitter } from 'node:events';
import { decodeConfChange } from '../raft/confchange.ts';
import { Raft } from '../raft/raft.ts';
import {
  EntryType,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type PersistedState,
  type ProposeResult,
  type Ready,
  type Refusal,
  type Role,
  type Snapshot,
  type Status,
} from '../raft/types.ts';
import { decodeCommand, encodeCommand, type KvCommand } from './kv-command.ts';
import { KvStore, type KvResult } from './kv-store.ts';
import { NodeError } from './node-error.ts';

export interface LoopStorage {
  /** Stores a received snapshot (when given), then entries and hard state, durably. */
  persist(snapshot: Snapshot | undefined, entries: Entry[], hardState: HardState | undefined): Promise<void>;
  /** Stores a snapshot this node took, then releases the log it covers. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
}

export interface LoopTransport {
  send(messages: Message[]): void;
  setPeers(urls: Record<NodeId, string>): void;
}

export interface LoopMetrics {
  leaderChanged(): void;
  proposalCommitted(): void;
  proposalFailed(): void;
}

export interface LoopOptions {
  id: NodeId;
  tickMs: number;
  electionTicksMin: number;
  electionTicksMax: number;
  heartbeatTicks: number;
  snapshotEntries: number;
  /** How long a write or read waits before it is answered TIMEOUT (outcome unknown). */
  requestTimeoutMs: number;
  storage: LoopStorage;
  transport: LoopTransport;
  metrics: LoopMetrics;
  /** Called when the node can no longer go on safely (a failed fsync, say). */
  onFatal: (error: Error) => void;
}

/** Events for `/admin` subscribers (SPEC), without the `event` field. */
export interface LoopEvents {
  election: [{ phase: 'started' | 'won' | 'lost'; term: number; candidate: NodeId; votes: number; durationMs: number }];
  role: [{ role: Role; term: number; leaderId: NodeId }];
  snapshot: [{ phase: 'created' | 'installed'; index: number; term: number; bytes: number; durationMs: number }];
  membership: [{ conf: ConfState; index: number; change: ConfChange }];
  change: [];
}

interface Waiter {
  term: number;
  resolve: (result: KvResult & { index: number }) => void;
  reject: (error: NodeError) => void;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  index: number | undefined;
  resolve: (index: number) => void;
  reject: (error: NodeError) => void;
  timer: NodeJS.Timeout;
}

export class RaftLoop extends EventEmitter<LoopEvents> {
  readonly kv = new KvStore();
  private readonly raft: Raft;
  private readonly ticker: NodeJS.Timeout;
  private waiters = new Map<number, Waiter>();
  private reads = new Map<string, PendingRead>();
  private readSeq = 0;
  private draining = false;
  private drainScheduled = false;
  private stopped = false;
  private failed = false;
  private role: Role = 'follower';
  private appliedIndex: number;
  private leaderId: NodeId = '';
  private persistedVote: { term: number; vote: NodeId };
  private electionStartedAt = 0;
  private snapshotting = false;
  /** Storage work runs one job at a time, in order: a snapshot save never races a log append. */
  private storageQueue: Promise<unknown> = Promise.resolve();
  private snapshotInfo: { index: number; term: number; bytes: number };

  constructor(
    private readonly opts: LoopOptions,
    persisted: PersistedState,
  ) {
    super();
    if (persisted.snapshot) this.kv.restore(persisted.snapshot.data);
    this.raft = new Raft(
      {
        id: opts.id,
        electionTicksMin: opts.electionTicksMin,
        electionTicksMax: opts.electionTicksMax,
        heartbeatTicks: opts.heartbeatTicks,
        random: Math.random,
        applied: persisted.snapshot?.meta.index ?? 0,
      },
      persisted,
    );
    this.appliedIndex = persisted.snapshot?.meta.index ?? 0;
    this.persistedVote = { term: persisted.hardState.term, vote: persisted.hardState.vote };
    const snap = persisted.snapshot;
    this.snapshotInfo = { index: snap?.meta.index ?? 0, term: snap?.meta.term ?? 0, bytes: snap?.data.length ?? 0 };
    this.ticker = setInterval(() => this.tick(), opts.tickMs);
    this.scheduleDrain();
  }

  // ---- inputs -------------------------------------------------------------------------------

  receive(messages: Message[]): void {
    if (this.stopped) return;
    for (const m of messages) this.raft.step(m);
    this.scheduleDrain();
  }

  reportSnapshot(to: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(to, ok);
    this.scheduleDrain();
  }

  reportUnreachable(to: NodeId): void {
    this.raft.reportUnreachable(to);
  }

  /** Proposes a write; resolves once it is committed and applied here. */
  write(cmd: KvCommand): Promise<KvResult & { index: number }> {
    return this.propose((raft) => raft.propose(encodeCommand(cmd))).then((result) => {
      this.opts.metrics.proposalCommitted();
      return result;
    }, (error: unknown) => {
      this.opts.metrics.proposalFailed();
      throw error;
    });
  }

  /** Proposes a membership change; resolves once it is committed and applied here. */
  changeMembership(change: ConfChange): Promise<number> {
    return this.propose((raft) => raft.proposeConfChange(change)).then((r) => r.index);
  }

  /** A linearizable read point (ReadIndex): resolves with an index this node has applied. */
  readBarrier(): Promise<number> {
    this.assertRunning();
    const context = `${this.opts.id}:${++this.readSeq}`;
    const refused = this.raft.readIndex(context);
    if (!refused.ok) return Promise.reject(this.refusalError(refused.reason));
    this.scheduleDrain();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.delete(context);
        reject(new NodeError('TIMEOUT', 'no quorum confirmed the read in time'));
      }, this.opts.requestTimeoutMs);
      this.reads.set(context, { index: undefined, resolve, reject, timer });
    });
  }

  /** Starts a leadership transfer; resolves once `to` leads (as seen from here). */
  transferLeadership(to: NodeId): Promise<void> {
    this.assertRunning();
    const result = this.raft.transferLeadership(to);
    if (!result.ok) return Promise.reject(this.refusalError(result.reason));
    this.scheduleDrain();
    return new Promise((resolve, reject) => {
      const onRole = () => {
        if (this.leaderId !== to) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new NodeError('TIMEOUT', `${to} did not take over within ${this.opts.requestTimeoutMs} ms`));
      }, this.opts.requestTimeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('role', onRole);
      };
      this.on('role', onRole);
    });
  }

  /** Takes a snapshot of the applied state now. */
  async snapshotNow(): Promise<{ index: number; term: number; bytes: number }> {
    this.assertRunning();
    if (this.appliedIndex <= this.snapshotInfo.index || this.snapshotting) return { ...this.snapshotInfo };
    await this.takeSnapshot();
    return { ...this.snapshotInfo };
  }

  status(): Status {
    return this.raft.status();
  }

  /** The index of the last entry applied to the key-value store. */
  applied(): number {
    return this.appliedIndex;
  }

  leader(): { id: NodeId; url: string | undefined } {
    return { id: this.leaderId, url: this.leaderId ? this.raft.status().conf.urls[this.leaderId] : undefined };
  }

  snapshotStatus(): { index: number; term: number; bytes: number } {
    return { ...this.snapshotInfo };
  }

  /** Stops ticking and answers every waiting request SHUTTING_DOWN (its outcome is unknown). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    const error = new NodeError('SHUTTING_DOWN', 'the node is shutting down');
    for (const w of this.waiters.values()) {
      clearTimeout(w.timer);
      w.reject(error);
    }
    for (const r of this.reads.values()) {
      clearTimeout(r.timer);
      r.reject(error);
    }
    this.waiters.clear();
    this.reads.clear();
  }

  /** Resolves once no Ready is being carried out (so a clean shutdown finishes its fsync). */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000 && (this.draining || this.snapshotting); i++) await new Promise((r) => setTimeout(r, 5));
  }

  // ---- the Ready pipeline -------------------------------------------------------------------

  private tick(): void {
    this.raft.tick();
    this.scheduleDrain();
  }

  private propose(submit: (raft: Raft) => ProposeResult): Promise<KvResult & { index: number }> {
    this.assertRunning();
    const result = submit(this.raft);
    if (!result.ok) return Promise.reject(this.refusalError(result.reason));
    this.scheduleDrain();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(result.index);
        reject(new NodeError('TIMEOUT', `entry ${result.index} was not committed within ${this.opts.requestTimeoutMs} ms; it may still be`));
      }, this.opts.requestTimeoutMs);
      this.waiters.set(result.index, { term: result.term, resolve, reject, timer });
    });
  }

  /** Batches everything that happened in this turn of the event loop into one Ready. */
  private scheduleDrain(): void {
    if (this.drainScheduled || this.stopped) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.stopped && this.raft.hasReady()) await this.handleReady(this.raft.ready());
    } catch (error) {
      this.fail(error);
    } finally {
      this.draining = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    const start = performance.now();
    if (rd.softState) this.onSoftState(rd.softState.role, rd.softState.leaderId, rd.softState.term);
    // Peers first, so the first messages to a member just added have somewhere to go.
    if (rd.conf) this.onConf(rd.conf);
    const voteChanged = rd.hardState !== undefined && (rd.hardState.term !== this.persistedVote.term || rd.hardState.vote !== this.persistedVote.vote);
    // A leader may send its appends while it writes them itself: nothing is acknowledged or
    // applied before its own fsync below completes (the parallel write of Raft §10.2.1).
    const sendFirst = this.role === 'leader' && !voteChanged && !rd.snapshot;
    if (sendFirst) this.opts.transport.send(rd.messages);
    // A Ready whose only change is the commit index is not written at all: the commit index is
    // recovered from the leader after a restart, and every write that is made is a durable one.
    if (rd.mustSync) {
      await this.inStorageOrder(() => this.opts.storage.persist(rd.snapshot, rd.entries, rd.hardState));
      if (rd.hardState) this.persistedVote = { term: rd.hardState.term, vote: rd.hardState.vote };
    }
    if (!sendFirst) this.opts.transport.send(rd.messages);
    if (rd.snapshot) this.installSnapshot(rd.snapshot, start);
    for (const entry of rd.committedEntries) this.apply(entry);
    for (const rs of rd.readStates) {
      const read = this.reads.get(rs.context);
      if (read) read.index = rs.index;
    }
    this.raft.advance();
    this.serveReads();
    this.emit('change');
    if (this.appliedIndex - this.snapshotInfo.index >= this.opts.snapshotEntries && !this.snapshotting) void this.takeSnapshot();
  }

  private apply(entry: Entry): void {
    let result: KvResult = { value: null };
    if (entry.type === EntryType.Conf) {
      const change = decodeConfChange(entry.data);
      if (change.type !== 'bootstrap') this.emit('membership', { conf: this.raft.status().conf, index: entry.index, change });
    } else if (entry.data.length > 0) {
      result = this.kv.apply(decodeCommand(entry.data));
    }
    this.appliedIndex = entry.index;
    const waiter = this.waiters.get(entry.index);
    if (!waiter) return;
    this.waiters.delete(entry.index);
    clearTimeout(waiter.timer);
    if (waiter.term === entry.term) waiter.resolve({ ...result, index: entry.index });
    else waiter.reject(this.notLeader(`another leader's entry took index ${entry.index}; the request was not applied`));
  }

  private serveReads(): void {
    for (const [context, read] of this.reads) {
      if (read.index === undefined || read.index > this.appliedIndex) continue;
      this.reads.delete(context);
      clearTimeout(read.timer);
      read.resolve(read.index);
    }
  }

  private installSnapshot(snapshot: Snapshot, start: number): void {
    this.kv.restore(snapshot.data);
    const { index, term } = snapshot.meta;
    this.appliedIndex = index;
    this.snapshotInfo = { index, term, bytes: snapshot.data.length };
    // Writes waiting at indexes the snapshot covers cannot tell whether they were applied.
    for (const [at, waiter] of this.waiters) {
      if (at > index) continue;
      this.waiters.delete(at);
      clearTimeout(waiter.timer);
      waiter.reject(new NodeError('TIMEOUT', `state was replaced by a snapshot at ${index}; outcome unknown`));
    }
    this.emit('snapshot', { phase: 'installed', index, term, bytes: snapshot.data.length, durationMs: performance.now() - start });
  }

  private inStorageOrder<T>(job: () => Promise<T>): Promise<T> {
    const result = this.storageQueue.then(job);
    this.storageQueue = result.catch(() => undefined);
    return result;
  }

  private async takeSnapshot(): Promise<void> {
    const index = this.appliedIndex;
    // The core may already hold a newer snapshot from the leader that this loop has not applied
    // yet (it arrived while a Ready was being persisted): then there is nothing to compact.
    if (index <= this.raft.status().snapshot.index) return;
    this.snapshotting = true;
    const start = performance.now();
    try {
      const snapshot = this.raft.compact(index, this.kv.serialize());
      // A newer snapshot from the leader may have been installed while this one waited.
      const saved = await this.inStorageOrder(async () => {
        if (index <= this.snapshotInfo.index) return false;
        await this.opts.storage.saveSnapshot(snapshot);
        return true;
      });
      if (!saved) return;
      const { term } = snapshot.meta;
      this.snapshotInfo = { index, term, bytes: snapshot.data.length };
      this.emit('snapshot', { phase: 'created', index, term, bytes: snapshot.data.length, durationMs: performance.now() - start });
    } catch (error) {
      this.fail(error);
    } finally {
      this.snapshotting = false;
    }
  }

  private onSoftState(role: Role, leaderId: NodeId, term: number): void {
    const was = this.role;
    if (leaderId !== this.leaderId && leaderId !== '') this.opts.metrics.leaderChanged();
    this.role = role;
    this.leaderId = leaderId;
    const now = performance.now();
    if (role === 'candidate' && was !== 'candidate') {
      this.electionStartedAt = now;
      this.emit('election', { phase: 'started', term, candidate: this.opts.id, votes: 1, durationMs: 0 });
    } else if (was === 'candidate' && role !== 'candidate') {
      const phase = role === 'leader' ? 'won' : 'lost';
      const votes = this.raft.status().electionVotes ?? 0;
      this.emit('election', { phase, term, candidate: this.opts.id, votes, durationMs: now - this.electionStartedAt });
    }
    this.emit('role', { role, term, leaderId });
  }

  private onConf(conf: ConfState): void {
    const peers: Record<NodeId, string> = {};
    for (const [id, url] of Object.entries(conf.urls)) if (id !== this.opts.id) peers[id] = url;
    this.opts.transport.setPeers(peers);
  }

  // ---- errors -------------------------------------------------------------------------------

  /** Storage failed: the node cannot go on safely. */
  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.stopped = true;
    clearInterval(this.ticker);
    this.opts.onFatal(error instanceof Error ? error : new Error(String(error)));
  }

  private assertRunning(): void {
    if (this.stopped) throw new NodeError('SHUTTING_DOWN', 'the node is shutting down');
  }

  private notLeader(message: string): NodeError {
    const leaderId = this.leaderId === this.opts.id ? '' : this.leaderId;
    return leaderId
      ? new NodeError('NOT_LEADER', message, leaderId, this.raft.status().conf.urls[leaderId])
      : new NodeError('NO_LEADER', message);
  }

  private refusalError(reason: Refusal): NodeError {
    switch (reason) {
      case 'not-leader':
        return this.notLeader(this.leaderId ? `this node is not the leader; ${this.leaderId} is` : 'no leader is known right now');
      case 'transferring':
        return new NodeError('OVERLOADED', 'leadership is being transferred; retry shortly');
      case 'conf-pending':
        return new NodeError('OVERLOADED', 'another membership change is still being committed; retry shortly');
      case 'no-current-term-commit':
        return new NodeError('OVERLOADED', 'the new leader has not committed an entry of its term yet; retry shortly');
      case 'unsafe-conf':
        return new NodeError('BAD_REQUEST', 'that membership change is not allowed');
      case 'unknown-member':
        return new NodeError('BAD_REQUEST', 'no such member (or not in the role the change needs)');
      case 'already-member':
        return new NodeError('BAD_REQUEST', 'that id is already a member');
      case 'already-leader':
        return new NodeError('BAD_REQUEST', 'that member already leads');
    }
  }
}
