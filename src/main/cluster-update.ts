// What the renderer receives about the watched cluster: which one it is, each member's process
// (when the app hosts it) and latest numbers (from telemetry), the leader, the series its charts
// draw, new log lines, and the operation under way.
import type { ClusterMember, ClusterSource, ClusterUpdate, OperationStatus } from '../shared/api.ts';
import type { FaultState } from '../shared/protocol/node-status.ts';
import type { MemberSummary, TelemetryUpdate } from '../shared/telemetry.ts';
import type { ClusterLog } from './cluster-log.ts';
import type { HostedMember } from './hosting/local-cluster.ts';

export interface WatchedClusterInfo {
  /** null for a remote cluster until a member answered. */
  name: string | null;
  source: ClusterSource;
  /** The members the app hosts, in the host's order; none for a remote cluster. */
  members: HostedMember[];
  /** Each member's message faults, by id, from its latest status. */
  faults: ReadonlyMap<string, FaultState>;
  operation: OperationStatus | null;
}

export function buildClusterUpdate(host: WatchedClusterInfo, update: TelemetryUpdate, log: ClusterLog): ClusterUpdate {
  const { summary } = update;
  const seen = new Map(summary.members.map((member) => [member.id, member]));
  // Hosted members first, in the host's order; then any member only telemetry knows of.
  const members = host.members.map((hosted) => clusterMember(hosted.id, hosted.url, seen.get(hosted.id), hosted, host.faults));
  const hostedIds = new Set(host.members.map((hosted) => hosted.id));
  // A closed connection is one the app stopped watching: a member it removed.
  for (const member of summary.members) {
    if (!hostedIds.has(member.id) && member.connection !== 'closed') members.push(clusterMember(member.id, member.url, member, undefined, host.faults));
  }
  return {
    full: update.full,
    at: summary.at,
    cluster: { name: host.name, source: host.source },
    leaderId: summary.leaderId,
    term: summary.term,
    commitRate: summary.commitRate,
    members,
    lag: update.lag,
    elections: update.elections,
    log: log.entries(update),
    operation: host.operation,
  };
}

function clusterMember(
  id: string,
  url: string,
  summary: MemberSummary | undefined,
  hosted: HostedMember | undefined,
  faults: ReadonlyMap<string, FaultState>,
): ClusterMember {
  const reachable = summary?.connection === 'connected';
  const fault = reachable ? faults.get(id) : undefined;
  return {
    id,
    url,
    // An unreachable member's last status is stale: it may still say leader after it died.
    role: reachable ? (summary?.role ?? null) : null,
    term: summary?.term ?? 0,
    commitIndex: summary?.commitIndex ?? 0,
    appliedIndex: summary?.appliedIndex ?? 0,
    reachable,
    connection: summary?.connection ?? 'connecting',
    lastError: summary?.lastError ?? null,
    lagEntries: summary?.lag?.lagEntries ?? null,
    snapshotBytes: summary?.snapshotBytes ?? 0,
    walBytes: summary?.walBytes ?? 0,
    process: hosted ? { state: hosted.state, pid: hosted.pid } : null,
    cutOffFrom: fault ? [...new Set([...fault.dropTo, ...fault.dropFrom])].sort() : [],
  };
}
