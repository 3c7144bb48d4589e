// The consensus core: a deterministic Raft state machine in the style of etcd-io/raft. It reads
// messages, ticks and requests, and hands back Ready batches; it never touches the world.
import { confChangeError, encodeConfChange, isMember } from './confchange.ts';
import { RaftLog, UNKNOWN_TERM } from './log.ts';
import { Progress } from './progress.ts';
import { committedIndex, hasMajority, voteResult } from './quorum.ts';
import { ReadOnlyQueue } from './read-only.ts';
import {
  EntryType,
  MessageType,
  NONE,
  type ConfChange,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type PersistedState,
  type ProposeResult,
  type RaftConfig,
  type ReadState,
  type Ready,
  type Refusal,
  type Role,
  type Snapshot,
  type SoftState,
  type Status,
} from './types.ts';

const TRANSFER = 'transfer';
const EMPTY = new Uint8Array(0);

/** What a Ready handed out, so advance() can record it even if messages were stepped meanwhile. */
interface InProgress {
  stableIndex: number;
  stableTerm: number;
  appliedIndex: number;
  snapshotIndex: number;
  hardState: HardState;
  softState: SoftState;
  confVersion: number;
}

export class Raft {
  readonly id: NodeId;
  private readonly cfg: Required<Omit<RaftConfig, 'applied'>>;
  private readonly log: RaftLog;

  private term: number;
  private vote: NodeId;
  private role: Role = 'follower';
  private lead: NodeId = NONE;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  private votes = new Map<NodeId, boolean>();
  /** Votes granted in this node's last won or lost election, for telemetry. */
  private lastElectionVotes = 0;
  /** Leader only: every other member's progress. */
  private prs = new Map<NodeId, Progress>();
  /** Leader only: followers that need an App when the next Ready is built. */
  private appendDue = new Set<NodeId>();
  private leadTransferee: NodeId = NONE;
  /** Leader only: index of the latest Conf entry; another change waits until it commits. */
  private pendingConfIndex = 0;

  private readOnly = new ReadOnlyQueue();
  /** Leader only: reads that wait for the first commit of the leader's term. */
  private readsBeforeCommit: Array<{ context: string; from: NodeId }> = [];
  private readBroadcastDue = false;
  private readStates: ReadState[] = [];
  private msgs: Message[] = [];

  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private prevConfVersion = -1;
  private inProgress: InProgress | undefined;

  constructor(config: RaftConfig, persisted: PersistedState) {
    if (config.electionTicksMin < 1 || config.electionTicksMax < config.electionTicksMin) {
      throw new Error('election timeout must satisfy 1 <= min <= max');
    }
    if (config.heartbeatTicks < 1 || config.heartbeatTicks >= config.electionTicksMin) {
      throw new Error('heartbeat ticks must be at least 1 and below the election timeout');
    }
    this.id = config.id;
    this.cfg = {
      id: config.id,
      electionTicksMin: config.electionTicksMin,
      electionTicksMax: config.electionTicksMax,
      heartbeatTicks: config.heartbeatTicks,
      random: config.random,
      preVote: config.preVote ?? true,
      checkQuorum: config.checkQuorum ?? true,
      maxInflight: config.maxInflight ?? 256,
      maxBytesPerMsg: config.maxBytesPerMsg ?? 1024 * 1024,
    };
    const hs = persisted.hardState;
    this.log = new RaftLog(persisted.snapshot, persisted.entries, hs.commit, config.applied ?? persisted.snapshot?.meta.index ?? 0);
    this.term = hs.term;
    this.vote = hs.vote;
    this.prevHardState = { ...hs };
    this.resetElectionTimeout();
    this.prevSoftState = this.softState();
  }

  // ---- inputs -------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        // A member that heard from a leader within the election timeout ignores campaigns, so a
        // node returning from a partition cannot depose a healthy leader (unless it is a transfer).
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTicksMin;
        if (inLease && m.context !== TRANSFER) return;
      }
      if (m.type === MessageType.PreVote || (m.type === MessageType.PreVoteResp && !m.reject)) {
        // A pre-vote never changes terms: its term is the one the candidate would use.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.App || m.type === MessageType.Heartbeat)) {
        // Tell a stale leader about the newer term, or it never learns it (its own pre-votes
        // and our leases would keep it from ever hearing one).
        this.send({ type: MessageType.AppResp, to: m.from });
      } else if (m.type === MessageType.PreVote) {
        this.send({ type: MessageType.PreVoteResp, to: m.from, reject: true });
      }
      return;
    }

    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'precandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  propose(data: Uint8Array): ProposeResult {
    const refusal = this.proposalRefusal();
    if (refusal) return this.refuse(refusal);
    return this.appendEntry(EntryType.Normal, data);
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    const refusal = this.proposalRefusal();
    if (refusal) return this.refuse(refusal);
    if (change.type === 'bootstrap') return this.refuse('unsafe-conf');
    // One change at a time, and only after this leader committed an entry of its own term: the
    // fix for the single-server change bug (Ongaro, raft-dev, 2015).
    if (this.pendingConfIndex > this.log.committed) return this.refuse('conf-pending');
    if (this.log.term(this.log.committed) !== this.term) return this.refuse('no-current-term-commit');
    const error = confChangeError(this.log.conf(), change);
    if (error) return this.refuse(error);
    const result = this.appendEntry(EntryType.Conf, encodeConfChange(change));
    this.pendingConfIndex = result.index;
    this.syncProgressWithConf();
    this.maybeCommit();
    return result;
  }

  transferLeadership(to: NodeId): ProposeResult {
    if (this.role !== 'leader') return this.refuse('not-leader');
    if (to === this.id) return this.refuse('already-leader');
    if (!this.log.conf().voters.includes(to)) return this.refuse('unknown-member');
    if (this.leadTransferee !== to) {
      this.leadTransferee = to;
      this.electionElapsed = 0;
      const pr = this.prs.get(to)!;
      if (pr.match === this.log.lastIndex()) this.send({ type: MessageType.TimeoutNow, to });
      else this.appendDue.add(to);
    }
    return { ok: true, index: this.log.lastIndex(), term: this.term };
  }

  readIndex(context: string): ProposeResult {
    if (this.role === 'leader') {
      this.leaderReadIndex(context, this.id);
    } else if (this.lead !== NONE) {
      this.send({ type: MessageType.ReadIndex, to: this.lead, context });
    } else {
      return this.refuse('not-leader');
    }
    return { ok: true, index: this.log.committed, term: this.term };
  }

  campaign(): void {
    this.hup(false);
  }

  /** The application saved its state at `index` (<= applied) as `data`: keep it, drop the log it covers. */
  compact(index: number, data: Uint8Array): Snapshot {
    return this.log.compact(index, data);
  }

  reportSnapshot(to: NodeId, ok: boolean): void {
    const pr = this.prs.get(to);
    if (this.role !== 'leader' || !pr || pr.state !== 'snapshot') return;
    // Either way, probe again: on success the follower's answer moves it on, on failure the next
    // heartbeat answer triggers a new attempt.
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true;
  }

  reportUnreachable(to: NodeId): void {
    const pr = this.prs.get(to);
    if (this.role === 'leader' && pr && pr.state === 'replicate') pr.becomeProbe();
  }

  // ---- outputs ------------------------------------------------------------------------------

  hasReady(): boolean {
    if (this.inProgress) return false;
    return (
      this.msgs.length > 0 ||
      this.appendDue.size > 0 ||
      this.readBroadcastDue ||
      this.readStates.length > 0 ||
      this.log.pendingSnapshot !== undefined ||
      this.log.stabled < this.log.lastIndex() ||
      this.log.hasNextCommittedEntries() ||
      this.log.confVersion !== this.prevConfVersion ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  ready(): Ready {
    if (this.inProgress) throw new Error('ready() called again before advance()');
    this.flushAppends();
    this.flushReadBroadcast();
    const hardState = this.hardState();
    const softState = this.softState();
    const entries = this.log.unstableEntries();
    const snapshot = this.log.pendingSnapshot;
    const committedEntries = this.log.nextCommittedEntries();
    const hardChanged = !sameHardState(hardState, this.prevHardState);
    const rd: Ready = {
      entries,
      committedEntries,
      messages: this.msgs,
      readStates: this.readStates,
      mustSync:
        entries.length > 0 || snapshot !== undefined || hardState.term !== this.prevHardState.term || hardState.vote !== this.prevHardState.vote,
    };
    if (hardChanged) rd.hardState = hardState;
    if (!sameSoftState(softState, this.prevSoftState)) rd.softState = softState;
    if (snapshot) rd.snapshot = snapshot;
    if (this.log.confVersion !== this.prevConfVersion) rd.conf = this.log.conf();
    this.msgs = [];
    this.readStates = [];
    const last = entries.length > 0 ? entries[entries.length - 1] : undefined;
    this.inProgress = {
      stableIndex: last?.index ?? 0,
      stableTerm: last?.term ?? 0,
      appliedIndex: committedEntries.length > 0 ? committedEntries[committedEntries.length - 1].index : 0,
      snapshotIndex: snapshot?.meta.index ?? 0,
      hardState,
      softState,
      confVersion: this.log.confVersion,
    };
    return rd;
  }

  advance(): void {
    const done = this.inProgress;
    if (!done) throw new Error('advance() called without a Ready');
    this.inProgress = undefined;
    if (done.snapshotIndex > 0) {
      if (this.log.pendingSnapshot?.meta.index === done.snapshotIndex) this.log.pendingSnapshot = undefined;
      this.log.appliedTo(done.snapshotIndex);
    }
    if (done.stableIndex > 0) this.log.stableTo(done.stableIndex, done.stableTerm);
    if (done.appliedIndex > 0) this.log.appliedTo(done.appliedIndex);
    this.prevHardState = done.hardState;
    this.prevSoftState = done.softState;
    this.prevConfVersion = done.confVersion;
  }

  status(): Status {
    const status: Status = {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leaderId: this.lead,
      commit: this.log.committed,
      applied: this.log.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      snapshot: { index: this.log.snapIndex, term: this.log.snapTerm },
      conf: this.log.conf(),
      electionVotes: this.lastElectionVotes,
    };
    if (this.role === 'leader') {
      status.progress = {};
      for (const [id, pr] of this.prs) status.progress[id] = pr.toStatus();
      if (this.leadTransferee !== NONE) status.transferee = this.leadTransferee;
    }
    return status;
  }

  // ---- roles --------------------------------------------------------------------------------

  private becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    this.votes.clear();
    this.lead = NONE;
    this.role = 'precandidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    this.syncProgressWithConf();
    // Any Conf entry already in the log may still be uncommitted: no new change until it is.
    this.pendingConfIndex = this.log.lastConfIndex();
    // A no-op of the new term lets the leader commit everything before it (§5.4.2).
    this.appendEntry(EntryType.Normal, EMPTY);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimeout();
    this.leadTransferee = NONE;
    this.votes.clear();
    this.prs.clear();
    this.appendDue.clear();
    this.readOnly.clear();
    this.readsBeforeCommit = [];
    this.readBroadcastDue = false;
  }

  private resetElectionTimeout(): void {
    const { electionTicksMin: min, electionTicksMax: max } = this.cfg;
    this.randomizedElectionTimeout = min + Math.floor(this.cfg.random() * (max - min + 1));
  }

  /**
   * Only voters may campaign; learners, removed members and joiners wait. A member whose removal
   * is not yet committed may still campaign, or a cut-off leader that removed itself could leave
   * the rest unable to elect anyone (dissertation §4.2.2).
   */
  private promotable(): boolean {
    return this.log.conf().voters.includes(this.id) || this.log.confAt(this.log.committed).voters.includes(this.id);
  }

  // ---- elections ----------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed++;
    // A node that cannot campaign keeps counting, so its lease on the last leader expires and it
    // answers other candidates' votes.
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.cfg.preVote && !transfer) this.startElection(MessageType.PreVote, false);
    else this.startElection(MessageType.Vote, transfer);
  }

  private startElection(type: MessageType.PreVote | MessageType.Vote, transfer: boolean): void {
    let term: number;
    if (type === MessageType.PreVote) {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.votes.set(this.id, true);
    if (this.tallyVotes(type) !== 'pending') return;
    for (const id of this.log.conf().voters) {
      if (id === this.id) continue;
      this.send({
        type,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context: transfer ? TRANSFER : '',
      });
    }
  }

  private handleVoteRequest(m: Message): void {
    const preVote = m.type === MessageType.PreVote;
    const canVote = this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (preVote && m.term > this.term);
    const respType = preVote ? MessageType.PreVoteResp : MessageType.VoteResp;
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // A granted pre-vote answers in the candidate's future term so it can count it.
      this.send({ type: respType, to: m.from, term: m.term });
      if (!preVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, reject: true });
    }
  }

  /** Counts votes; acts on a decided election and returns the result. */
  private tallyVotes(type: MessageType.PreVote | MessageType.Vote): 'won' | 'lost' | 'pending' {
    const result = voteResult(this.log.conf().voters, this.votes);
    if (result !== 'pending') this.lastElectionVotes = [...this.votes.values()].filter(Boolean).length;
    if (result === 'won') {
      if (type === MessageType.PreVote) this.startElection(MessageType.Vote, false);
      else this.becomeLeader();
    } else if (result === 'lost') {
      this.becomeFollower(this.term, NONE);
    }
    return result;
  }

  private stepCandidate(m: Message): void {
    const ownRespType = this.role === 'precandidate' ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        break;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        break;
      case MessageType.PreVoteResp:
      case MessageType.VoteResp:
        if (m.type !== ownRespType) return;
        this.votes.set(m.from, !m.reject);
        this.tallyVotes(this.role === 'precandidate' ? MessageType.PreVote : MessageType.Vote);
        break;
    }
  }

  // ---- follower -----------------------------------------------------------------------------

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        break;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case MessageType.TimeoutNow:
        this.hup(true);
        break;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, context: m.context });
        break;
    }
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew >= 0) {
      this.send({ type: MessageType.AppResp, to: m.from, index: lastNew });
      return;
    }
    const [hint, hintTerm] = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: hint, logTerm: hintTerm });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: MessageType.HeartbeatResp, to: m.from, context: m.context });
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (!snap) return;
    const { index, term } = snap.meta;
    if (index <= this.log.committed) {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(index, term)) {
      // We already hold everything the snapshot covers: just learn that it is committed.
      this.log.commitTo(index);
    } else {
      this.log.restore(snap);
    }
    this.send({ type: MessageType.AppResp, to: m.from, index: this.log.lastIndex() });
  }

  // ---- leader -------------------------------------------------------------------------------

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const pr of this.prs.values()) pr.ticksSinceContact++;
    if (this.electionElapsed >= this.cfg.electionTicksMin) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        const active = (id: NodeId) => id === this.id || this.prs.get(id)?.recentActive === true;
        if (!hasMajority(this.log.conf().voters, active)) {
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const pr of this.prs.values()) pr.recentActive = false;
      }
      // A transfer that has not finished within an election timeout is abandoned.
      this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(this.readOnly.last() ?? '');
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from);
    switch (m.type) {
      case MessageType.AppResp:
        if (pr) this.handleAppendResponse(m, pr);
        break;
      case MessageType.HeartbeatResp:
        if (pr) this.handleHeartbeatResponse(m, pr);
        break;
      case MessageType.ReadIndex:
        if (pr) this.leaderReadIndex(m.context, m.from);
        break;
    }
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.ticksSinceContact = 0;
    if (m.reject) {
      const hint = m.logTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.logTerm)[0] : m.rejectHint;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.appendDue.add(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.freeTo(m.index);
    }
    if (this.maybeCommit()) {
      for (const id of this.prs.keys()) this.appendDue.add(id);
    } else if (wasPaused || pr.match < this.log.lastIndex()) {
      this.appendDue.add(m.from);
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: MessageType.TimeoutNow, to: m.from });
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.ticksSinceContact = 0;
    pr.probeSent = false;
    // Apps lost in flight are never acknowledged: free one slot so a full window cannot stall
    // replication forever (the follower's answer to the next App sorts out where it stands).
    if (pr.state === 'replicate' && pr.isPaused()) pr.freeFirst();
    if (pr.match < this.log.lastIndex()) this.appendDue.add(m.from);
    if (m.context === '') return;
    const acks = this.readOnly.ack(m.context, m.from);
    if (!acks) return;
    const voters = this.log.conf().voters;
    if (!hasMajority(voters, (id) => id === this.id || acks.has(id))) return;
    for (const read of this.readOnly.release(m.context)) this.answerRead(read.context, read.index, read.from);
  }

  private leaderReadIndex(context: string, from: NodeId): void {
    if (this.log.term(this.log.committed) !== this.term) {
      // The commit index is not known to be current until an entry of this term commits.
      this.readsBeforeCommit.push({ context, from });
      return;
    }
    const voters = this.log.conf().voters;
    if (voters.length === 1 && voters[0] === this.id) {
      this.answerRead(context, this.log.committed, from);
      return;
    }
    this.readOnly.add(context, this.log.committed, from);
    this.readBroadcastDue = true;
  }

  private answerRead(context: string, index: number, from: NodeId): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send({ type: MessageType.ReadIndexResp, to: from, index, context });
  }

  private maybeCommit(): boolean {
    const voters = this.log.conf().voters;
    const index = committedIndex(voters, (id) => (id === this.id ? this.log.lastIndex() : (this.prs.get(id)?.match ?? 0)));
    const wasCurrentTermCommitted = this.log.term(this.log.committed) === this.term;
    if (!this.log.maybeCommit(index, this.term)) return false;
    if (!wasCurrentTermCommitted) {
      const waiting = this.readsBeforeCommit;
      this.readsBeforeCommit = [];
      for (const r of waiting) this.leaderReadIndex(r.context, r.from);
    }
    // A leader that removed itself leads until the change commits, then steps down (§4.2.2).
    if (!this.log.conf().voters.includes(this.id) && this.log.committed >= this.log.lastConfIndex()) {
      this.becomeFollower(this.term, NONE);
    }
    return true;
  }

  private proposalRefusal(): Refusal | undefined {
    if (this.role !== 'leader') return 'not-leader';
    if (this.leadTransferee !== NONE) return 'transferring';
    return undefined;
  }

  private appendEntry(type: EntryType, data: Uint8Array): { ok: true; index: number; term: number } {
    const entry: Entry = { term: this.term, index: this.log.lastIndex() + 1, type, data };
    this.log.append([entry]);
    for (const id of this.prs.keys()) this.appendDue.add(id);
    if (this.log.conf().voters.length === 1) this.maybeCommit();
    return { ok: true, index: entry.index, term: entry.term };
  }

  /** Makes the progress map match the configuration in force (leader only). */
  private syncProgressWithConf(): void {
    const conf = this.log.conf();
    for (const id of [...this.prs.keys()]) {
      if (!isMember(conf, id)) this.prs.delete(id);
    }
    for (const id of [...conf.voters, ...conf.learners]) {
      if (id === this.id) continue;
      const learner = conf.learners.includes(id);
      const pr = this.prs.get(id);
      if (pr) pr.learner = learner;
      else {
        const fresh = new Progress(this.log.lastIndex() + 1, learner, this.cfg.maxInflight);
        fresh.recentActive = true;
        this.prs.set(id, fresh);
        this.appendDue.add(id);
      }
    }
  }

  /** Sends what each follower marked as due needs: entries, a commit update, or a snapshot. */
  private flushAppends(): void {
    if (this.role !== 'leader') {
      this.appendDue.clear();
      return;
    }
    for (const id of this.appendDue) {
      const pr = this.prs.get(id);
      if (!pr) continue;
      let first = true;
      while (!pr.isPaused() && (first || (pr.state === 'replicate' && pr.next <= this.log.lastIndex()))) {
        this.sendAppend(id, pr);
        first = false;
      }
    }
    this.appendDue.clear();
  }

  private sendAppend(to: NodeId, pr: Progress): void {
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === UNKNOWN_TERM || pr.next < this.log.firstIndex()) {
      const snapshot = this.log.snapshot;
      if (!snapshot) throw new Error(`no snapshot to send to ${to} (next ${pr.next})`);
      this.send({ type: MessageType.Snap, to, snapshot });
      pr.becomeSnapshot(snapshot.meta.index);
      return;
    }
    const last = this.log.lastIndex();
    const entries = pr.next <= last ? this.log.slice(pr.next, last + 1, this.cfg.maxBytesPerMsg) : [];
    this.send({ type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed });
    pr.sentEntries(prevIndex + entries.length, entries.length);
  }

  private broadcastHeartbeat(context: string): void {
    for (const [id, pr] of this.prs) {
      // Never tell a follower a commit index beyond what it is known to hold.
      this.send({ type: MessageType.Heartbeat, to: id, commit: Math.min(pr.match, this.log.committed), context });
    }
  }

  private flushReadBroadcast(): void {
    if (!this.readBroadcastDue) return;
    this.readBroadcastDue = false;
    const context = this.readOnly.last();
    if (this.role === 'leader' && context !== undefined) {
      this.broadcastHeartbeat(context);
      this.heartbeatElapsed = 0;
    }
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private send(m: Partial<Message> & Pick<Message, 'type' | 'to'>): void {
    this.msgs.push({
      type: m.type,
      from: this.id,
      to: m.to,
      term: m.term ?? this.term,
      logTerm: m.logTerm ?? 0,
      index: m.index ?? 0,
      commit: m.commit ?? 0,
      entries: m.entries ?? [],
      reject: m.reject ?? false,
      rejectHint: m.rejectHint ?? 0,
      context: m.context ?? '',
      ...(m.snapshot ? { snapshot: m.snapshot } : {}),
    });
  }

  private refuse(reason: Refusal): ProposeResult {
    return { ok: false, reason, leaderId: this.lead };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private softState(): SoftState {
    return { role: this.role, leaderId: this.lead, term: this.term };
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leaderId === b.leaderId && a.term === b.term;
}
