// The data the consensus core exchanges with the world: log entries, messages, persisted state,
// snapshots and the Ready batch. Plain objects only, so a node can encode them and a simulator
// can copy them.

export type NodeId = string;

/** No node: an empty vote or an unknown leader. */
export const NONE: NodeId = '';

export enum EntryType {
  /** Application data (a key-value command), or empty for the leader's no-op. */
  Normal = 0,
  /** A membership change: `data` is an encoded ConfChange (see confchange.ts). */
  Conf = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** Persisted before any message that depends on it leaves the node. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/** A cluster configuration. `urls` is opaque to the core; it travels with the membership. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  urls: Record<NodeId, string>;
}

export interface SnapshotMeta {
  index: number;
  term: number;
  /** The configuration in force at `index`. */
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

/**
 * A single-server membership change, effective as soon as it is appended (Ongaro's
 * dissertation, §4.1), or the bootstrap of a whole configuration as the first entry of a log.
 */
export type ConfChange =
  | { type: 'add-learner'; id: NodeId; url: string }
  | { type: 'add-voter'; id: NodeId; url: string }
  | { type: 'promote'; id: NodeId }
  | { type: 'remove'; id: NodeId }
  | { type: 'bootstrap'; conf: ConfState };

export enum MessageType {
  App = 1,
  AppResp = 2,
  Heartbeat = 3,
  HeartbeatResp = 4,
  PreVote = 5,
  PreVoteResp = 6,
  Vote = 7,
  VoteResp = 8,
  Snap = 9,
  TimeoutNow = 10,
  ReadIndex = 11,
  ReadIndexResp = 12,
}

/**
 * One message between cores. Every field is always present (zero when unused) so that encoders
 * stay simple and fast; `snapshot` only on Snap.
 *
 * - App: `index`/`logTerm` locate the entry before `entries`; `commit` is the leader's commit.
 * - AppResp: `index` is the last index matched (or, when `reject`, the rejected index);
 *   on reject, `rejectHint`/`logTerm` let the leader skip a whole term at once.
 * - PreVote/Vote: `index`/`logTerm` are the candidate's last entry; `context` is 'transfer'
 *   when the vote follows a leadership transfer.
 * - Heartbeat/HeartbeatResp: `context` carries a ReadIndex round.
 * - ReadIndex/ReadIndexResp: `context` names the request; `index` is the read index.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm: number;
  index: number;
  commit: number;
  entries: Entry[];
  reject: boolean;
  rejectHint: number;
  context: string;
  snapshot?: Snapshot;
}

export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader';

/** A linearizable read point: once `index` is applied, a read for `context` may be served. */
export interface ReadState {
  index: number;
  context: string;
}

/**
 * What the node must do, in this order: persist `snapshot`, `entries` (replacing any stored
 * entries from entries[0].index on) and `hardState` with one fsync; then send `messages`; then
 * apply `snapshot` and `committedEntries`; then call `advance()`.
 */
export interface Ready {
  /** Set when role, leader or term changed since the last Ready. */
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
  /** Set when the configuration changed since the last Ready. */
  conf?: ConfState;
  /** True when entries or hardState must reach stable storage before messages are sent. */
  mustSync: boolean;
}

export interface SoftState {
  role: Role;
  leaderId: NodeId;
  term: number;
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface PeerProgress {
  match: number;
  next: number;
  state: ProgressState;
  inflight: number;
  recentActive: boolean;
  /** Ticks since the leader last heard from this peer. */
  ticksSinceContact: number;
  learner: boolean;
}

export interface Status {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId;
  leaderId: NodeId;
  commit: number;
  applied: number;
  firstIndex: number;
  lastIndex: number;
  snapshot: { index: number; term: number };
  conf: ConfState;
  /** Votes granted in this node's last decided election (pre-votes included). */
  electionVotes: number;
  /** Only on the leader. */
  progress?: Record<NodeId, PeerProgress>;
  /** Set while the leader is handing over to this member. */
  transferee?: NodeId;
}

/** What a node restarts from: its stable storage. */
export interface PersistedState {
  hardState: HardState;
  snapshot?: Snapshot;
  /** Entries after the snapshot, in order. */
  entries: Entry[];
}

export interface RaftConfig {
  id: NodeId;
  /** Election timeout, in ticks, drawn uniformly from [min, max] each time it is reset. */
  electionTicksMin: number;
  electionTicksMax: number;
  heartbeatTicks: number;
  /** Seeded random source in [0, 1). The core has no randomness of its own. */
  random: () => number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Append messages in flight to one follower before the leader waits for acknowledgements. */
  maxInflight?: number;
  /** Upper bound on entry bytes in one App message. */
  maxBytesPerMsg?: number;
  /** Last index the application has applied (restart from its snapshot). */
  applied?: number;
}

/** Why the core refused a request. Nothing was appended when one of these is returned. */
export type Refusal =
  | 'not-leader'
  | 'transferring'
  | 'conf-pending'
  | 'no-current-term-commit'
  | 'unsafe-conf'
  | 'unknown-member'
  | 'already-member'
  | 'already-leader';

export type ProposeResult = { ok: true; index: number; term: number } | { ok: false; reason: Refusal; leaderId: NodeId };
