// Telemetry of one cluster, fed by a ClusterConnection (pushed events and polled statuses): per
// member samples (role, term, indexes, WAL and snapshot bytes, commit and apply rates), per follower
// replication lag from the leader's progress, election history, snapshots and role changes.
// Everything is kept in fixed-size ring buffers and a bounded set of members, so memory stays flat
// however long it runs. Subscribers get a full update first, then only what changed, at most
// `maxUpdatesPerSecond` times a second however fast events arrive.
import type { AdminEvent } from '../../shared/protocol/admin-events.ts';
import type { NodeRole, NodeStatus } from '../../shared/protocol/node-status.ts';
import type {
  LagSample,
  MemberConnectionState,
  MemberSample,
  MemberSummary,
  RoleChange,
  SnapshotRecord,
  TelemetrySeries,
  TelemetrySummary,
  TelemetryUpdate,
} from '../../shared/telemetry.ts';
import type { ClusterConnection, ClusterEvent } from '../connection/cluster-connection.ts';
import { ElectionTracker } from './election-tracker.ts';
import { RingBuffer } from './ring-buffer.ts';

/** What Telemetry reads: a ClusterConnection, or anything shaped like one (tests feed their own). */
export type TelemetrySource = Pick<ClusterConnection, 'onEvent' | 'memberViews'>;

export interface TelemetryOptions {
  /** Items kept per member in each series (samples, lag, snapshots), and role changes in all. Default 1200. */
  capacity?: number;
  /** Election records kept. Default 200. */
  electionCapacity?: number;
  /** At most one sample per member (and per follower's lag) in this interval. Default 250 ms. */
  sampleIntervalMs?: number;
  /** Updates pushed to subscribers per second, at most. Default 10. */
  maxUpdatesPerSecond?: number;
}

/** Members tracked at once; beyond it, the one heard from longest ago is dropped. */
export const MAX_TRACKED_MEMBERS = 32;
export const TELEMETRY_DEFAULTS = { capacity: 1200, electionCapacity: 200, sampleIntervalMs: 250, maxUpdatesPerSecond: 10 };

interface Series<T> {
  buffer: RingBuffer<T>;
  /** buffer.pushed at the last update. */
  mark: number;
}

interface MemberTrack {
  id: string;
  url: string;
  connection: MemberConnectionState;
  lastError: string | null;
  status: NodeStatus | null;
  statusAt: number | null;
  lastHeard: number;
  role: NodeRole | null;
  lastSample: MemberSample | null;
  samples: Series<MemberSample>;
  /** This member's lag as a follower, from its leaders' statuses. */
  lag: Series<LagSample>;
  latestLag: LagSample | null;
  snapshots: Series<SnapshotRecord>;
}

export class Telemetry {
  private readonly members = new Map<string, MemberTrack>();
  private readonly roles: Series<RoleChange>;
  private readonly elections: ElectionTracker;
  private electionMark = 0;
  private readonly capacity: number;
  private readonly sampleIntervalMs: number;
  private readonly minUpdateGapMs: number;
  private readonly subscribers = new Map<(update: TelemetryUpdate) => void, { needsFull: boolean }>();
  private readonly stopSource: () => void;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastUpdateAt = -Infinity;

  constructor(source: TelemetrySource, options: TelemetryOptions = {}) {
    this.capacity = positiveInteger('capacity', options.capacity ?? TELEMETRY_DEFAULTS.capacity);
    this.sampleIntervalMs = Math.max(0, options.sampleIntervalMs ?? TELEMETRY_DEFAULTS.sampleIntervalMs);
    this.minUpdateGapMs = 1000 / positiveInteger('maxUpdatesPerSecond', options.maxUpdatesPerSecond ?? TELEMETRY_DEFAULTS.maxUpdatesPerSecond);
    this.roles = series(this.capacity);
    this.elections = new ElectionTracker(positiveInteger('electionCapacity', options.electionCapacity ?? TELEMETRY_DEFAULTS.electionCapacity));
    const at = Date.now();
    for (const view of source.memberViews()) {
      if (view.id === null) continue;
      this.ingest({ kind: 'connection', memberId: view.id, url: view.url, receivedAt: at, state: view.state, error: view.lastError });
      if (view.status) this.ingest({ kind: 'node', memberId: view.id, url: view.url, receivedAt: view.statusAt ?? at, event: { event: 'status', node: view.id, at, status: view.status } });
    }
    this.stopSource = source.onEvent((event) => this.ingest(event));
  }

  /** Takes one event into the series. The source calls it; it is public so that anything can feed it. */
  ingest(event: ClusterEvent): void {
    if (event.memberId === null) return;
    const member = this.trackFor(event.memberId, event.url, event.receivedAt);
    if (event.kind === 'connection') {
      member.connection = event.state;
      member.lastError = event.error;
      if (event.state !== 'connected') this.elections.leaderLost(member.id, event.receivedAt);
    } else {
      this.onNodeEvent(member, event.event, event.receivedAt);
    }
    this.changed();
  }

  /** Everything kept, with the current summary. */
  snapshot(): TelemetryUpdate {
    return this.collect(true);
  }

  /** The current summary alone: each member's latest numbers, the leader, the throughput. */
  summary(): TelemetrySummary {
    const leaderId = this.elections.leaderId;
    const leader = leaderId === null ? undefined : this.members.get(leaderId);
    return {
      at: Date.now(),
      leaderId,
      term: this.elections.term,
      leaderlessSince: this.elections.leaderlessSince,
      commitRate: leader?.lastSample?.commitRate ?? 0,
      members: [...this.members.values()].map((member) => this.memberSummary(member, leaderId)),
    };
  }

  /** `listener` gets a full update soon, then a delta whenever something changed, at most 10 a second. */
  subscribe(listener: (update: TelemetryUpdate) => void): () => void {
    this.subscribers.set(listener, { needsFull: true });
    this.schedule();
    return () => {
      this.subscribers.delete(listener);
    };
  }

  close(): void {
    this.stopSource();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.subscribers.clear();
  }

  private onNodeEvent(member: MemberTrack, event: AdminEvent, at: number): void {
    switch (event.event) {
      case 'status':
        this.onStatus(member, event.status, at);
        return;
      case 'election':
        if (event.phase === 'started') this.elections.campaignStarted(event.term, event.candidate, at);
        else if (event.phase === 'won') this.elections.campaignWon(event.term, event.candidate, event.votes, event.durationMs, at);
        return;
      case 'role':
        this.noteRole(member, event.role, event.term, at);
        if (event.role === 'leader') this.elections.leaderSeen(member.id, event.term, at);
        else if (event.previousRole === 'leader') this.elections.leaderLost(member.id, at);
        return;
      case 'snapshot': {
        const { action, index, term, bytes, durationMs, peer } = event;
        member.snapshots.buffer.push(peer === undefined ? { at, memberId: member.id, action, index, term, bytes, durationMs } : { at, memberId: member.id, action, index, term, bytes, durationMs, peer });
        return;
      }
      case 'membership':
      case 'fault':
        // Their effect shows in the next status.
        return;
    }
  }

  private onStatus(member: MemberTrack, status: NodeStatus, at: number): void {
    member.status = status;
    member.statusAt = at;
    this.noteRole(member, status.role, status.term, at);
    const sampling = member.lastSample === null || at - member.lastSample.at >= this.sampleIntervalMs;
    if (sampling) this.sample(member, status, at);
    if (status.role === 'leader') {
      this.elections.leaderSeen(member.id, status.term, at);
      this.noteProgress(member, status, at);
    } else if (status.leaderId !== null) {
      this.elections.leaderSeen(status.leaderId, status.term, at);
    }
  }

  private sample(member: MemberTrack, status: NodeStatus, at: number): void {
    const previous = member.lastSample;
    const seconds = previous === null ? 0 : (at - previous.at) / 1000;
    const rate = (now: number, before: number | undefined): number => (seconds > 0 && before !== undefined ? Math.max(0, (now - before) / seconds) : 0);
    const sample: MemberSample = {
      at,
      role: status.role,
      term: status.term,
      commitIndex: status.commitIndex,
      appliedIndex: status.appliedIndex,
      lastIndex: status.lastIndex,
      walBytes: status.wal.bytes,
      snapshotBytes: status.snapshot.bytes,
      commitRate: rate(status.commitIndex, previous?.commitIndex),
      applyRate: rate(status.appliedIndex, previous?.appliedIndex),
    };
    member.samples.buffer.push(sample);
    member.lastSample = sample;
  }

  private noteProgress(leader: MemberTrack, status: NodeStatus, at: number): void {
    for (const [followerId, progress] of Object.entries(status.progress ?? {})) {
      const url = status.members.find((m) => m.id === followerId)?.url ?? '';
      const follower = this.trackFor(followerId, url, at, false);
      const lag: LagSample = { at, lagEntries: progress.lagEntries, lastContactMs: progress.lastContactMs, match: progress.match, leaderId: leader.id };
      const last = follower.lag.buffer.last();
      if (last === undefined || at - last.at >= this.sampleIntervalMs) follower.lag.buffer.push(lag);
      follower.latestLag = lag;
    }
  }

  private noteRole(member: MemberTrack, role: NodeRole, term: number, at: number): void {
    if (member.role === role) return;
    member.role = role;
    this.roles.buffer.push({ at, memberId: member.id, role, term });
  }

  /** The member's track, created if new; `heard` false when another member merely named it. */
  private trackFor(id: string, url: string, at: number, heard = true): MemberTrack {
    let member = this.members.get(id);
    if (!member) {
      if (this.members.size >= MAX_TRACKED_MEMBERS) this.dropQuietest();
      member = {
        id,
        url,
        connection: 'connecting',
        lastError: null,
        status: null,
        statusAt: null,
        lastHeard: at,
        role: null,
        lastSample: null,
        samples: series(this.capacity),
        lag: series(this.capacity),
        latestLag: null,
        snapshots: series(this.capacity),
      };
      this.members.set(id, member);
    }
    if (url !== '') member.url = url;
    if (heard) member.lastHeard = at;
    return member;
  }

  private dropQuietest(): void {
    let quietest: MemberTrack | undefined;
    for (const member of this.members.values()) if (!quietest || member.lastHeard < quietest.lastHeard) quietest = member;
    if (quietest) this.members.delete(quietest.id);
  }

  private memberSummary(member: MemberTrack, leaderId: string | null): MemberSummary {
    const status = member.status;
    const lag = member.latestLag !== null && member.latestLag.leaderId === leaderId ? member.latestLag : null;
    return {
      id: member.id,
      url: member.url,
      connection: member.connection,
      lastError: member.lastError,
      role: status?.role ?? null,
      term: status?.term ?? 0,
      leaderId: status?.leaderId ?? null,
      commitIndex: status?.commitIndex ?? 0,
      appliedIndex: status?.appliedIndex ?? 0,
      lastIndex: status?.lastIndex ?? 0,
      walBytes: status?.wal.bytes ?? 0,
      snapshotBytes: status?.snapshot.bytes ?? 0,
      commitRate: member.lastSample?.commitRate ?? 0,
      applyRate: member.lastSample?.applyRate ?? 0,
      lag: lag && { lagEntries: lag.lagEntries, lastContactMs: lag.lastContactMs },
      statusAt: member.statusAt,
    };
  }

  private changed(): void {
    this.dirty = true;
    if (this.subscribers.size > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastUpdateAt + this.minUpdateGapMs - performance.now());
    this.timer = setTimeout(() => this.publish(), wait);
  }

  private publish(): void {
    this.timer = undefined;
    const wantsFull = [...this.subscribers.values()].some((s) => s.needsFull);
    const full = wantsFull ? this.collect(true) : undefined;
    const delta = this.dirty ? this.collect(false) : undefined;
    this.markPublished();
    for (const [listener, state] of this.subscribers) {
      const update = state.needsFull ? full : delta;
      state.needsFull = false;
      if (update) listener(update);
    }
    // Counted from the end of this update, so that however long it took, the next waits its turn.
    this.lastUpdateAt = performance.now();
  }

  /** Everything kept (full), or what is new since the last update. */
  private collect(full: boolean): TelemetryUpdate {
    const pick = <T>(s: Series<T>): T[] => (full ? s.buffer.toArray() : s.buffer.pushedSince(s.mark));
    const perMember = <T>(which: (m: MemberTrack) => Series<T>): Record<string, T[]> => {
      const result: Record<string, T[]> = {};
      for (const member of this.members.values()) {
        const items = pick(which(member));
        if (full || items.length > 0) result[member.id] = items;
      }
      return result;
    };
    const seriesData: TelemetrySeries = {
      samples: perMember((m) => m.samples),
      lag: perMember((m) => m.lag),
      snapshots: perMember((m) => m.snapshots),
      elections: full ? this.elections.all() : this.elections.changedSince(this.electionMark),
      roles: pick(this.roles),
    };
    return { full, summary: this.summary(), ...seriesData };
  }

  private markPublished(): void {
    this.dirty = false;
    for (const member of this.members.values()) {
      for (const s of [member.samples, member.lag, member.snapshots] as Series<unknown>[]) s.mark = s.buffer.pushed;
    }
    this.roles.mark = this.roles.buffer.pushed;
    this.electionMark = this.elections.version;
  }
}

function series<T>(capacity: number): Series<T> {
  return { buffer: new RingBuffer<T>(capacity), mark: 0 };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`telemetry ${name} must be a whole number >= 1, got ${value}`);
  return value;
}
