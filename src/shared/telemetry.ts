// Telemetry as the control plane pushes it to the renderer (and raftctl): plain data, built in
// src/main/telemetry from the members' statuses and events. Times are ms since the epoch, by the
// control plane's clock (when it received the data).
import type { SnapshotEvent } from './protocol/admin-events.ts';
import type { NodeRole } from './protocol/node-status.ts';

/** How a member looked at one moment. Rates are entries per second since the previous sample. */
export interface MemberSample {
  at: number;
  role: NodeRole;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  /** Size of the write-ahead log on disk. */
  walBytes: number;
  snapshotBytes: number;
  commitRate: number;
  applyRate: number;
}

/** One follower's replication lag, as its leader reported it. */
export interface LagSample {
  at: number;
  /** The leader's last index minus the follower's match index. */
  lagEntries: number;
  /** Since the leader last heard from the follower. */
  lastContactMs: number;
  match: number;
  leaderId: string;
}

/** One term's election: who ran, who won, and how long the cluster had no leader. */
export interface ElectionRecord {
  term: number;
  candidates: string[];
  winner: string | null;
  /** The winner's votes, its own included; null when the win was not seen as an event. */
  votes: number | null;
  /** The first sign of this election: the old leader lost, or the first campaign seen. */
  startedAt: number;
  /** When the winner was known; null while undecided. */
  endedAt: number | null;
  /** The winner's own campaign time, as it reported it. */
  campaignMs: number | null;
  /** From losing the previous leader to knowing this one; null when the loss was not seen. */
  leaderlessMs: number | null;
}

export interface SnapshotRecord {
  at: number;
  memberId: string;
  action: SnapshotEvent['action'];
  index: number;
  term: number;
  bytes: number;
  durationMs: number;
  peer?: string;
}

export interface RoleChange {
  at: number;
  memberId: string;
  role: NodeRole;
  term: number;
}

export type MemberConnectionState = 'connecting' | 'connected' | 'unreachable' | 'closed';

/** A member now: connection and the latest numbers from its status. */
export interface MemberSummary {
  id: string;
  url: string;
  connection: MemberConnectionState;
  /** Why it is unreachable; null while connected. */
  lastError: string | null;
  /** null until a status arrived. */
  role: NodeRole | null;
  term: number;
  leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  walBytes: number;
  snapshotBytes: number;
  commitRate: number;
  applyRate: number;
  /** As a follower: its lag in the current leader's latest status. */
  lag: { lagEntries: number; lastContactMs: number } | null;
  /** When its latest status arrived; null if none yet. */
  statusAt: number | null;
}

export interface TelemetrySummary {
  at: number;
  /** null while the cluster is known to have lost its leader, or none was seen yet. */
  leaderId: string | null;
  /** The latest leader's term. */
  term: number;
  /** Since when the cluster has had no leader; null while it has one. */
  leaderlessSince: number | null;
  /** The leader's commit rate: the cluster's write throughput, entries per second. */
  commitRate: number;
  members: MemberSummary[];
}

/**
 * The series, by member id where they are per member. In a full update they hold everything kept;
 * in a delta only what is new since the previous update (election records: those that changed,
 * to replace by term).
 */
export interface TelemetrySeries {
  samples: Record<string, MemberSample[]>;
  /** By follower id. */
  lag: Record<string, LagSample[]>;
  snapshots: Record<string, SnapshotRecord[]>;
  elections: ElectionRecord[];
  roles: RoleChange[];
}

export interface TelemetryUpdate extends TelemetrySeries {
  /** true: everything kept (a subscriber's first update); false: only what changed. */
  full: boolean;
  summary: TelemetrySummary;
}
