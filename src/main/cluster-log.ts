// The event log a page shows, written from telemetry updates: elections won, role changes,
// snapshots, and members lost or found again. One per subscriber, because it remembers what it
// has already told (which terms' winners, each member's connection).
import type { ClusterLogEntry } from '../shared/api.ts';
import { formatBytes } from '../shared/format-bytes.ts';
import type { ElectionRecord, MemberConnectionState, SnapshotRecord, TelemetryUpdate } from '../shared/telemetry.ts';

/** Lines in a full update: the latest ones. */
export const MAX_LOG_ENTRIES = 200;
/** Terms remembered as told; older ones are long out of the elections kept anyway. */
const TOLD_TERMS_KEPT = 1000;

export class ClusterLog {
  private readonly connections = new Map<string, MemberConnectionState>();
  private readonly toldTerms = new Set<number>();

  /** The new lines in `update`, oldest first. */
  entries(update: TelemetryUpdate): ClusterLogEntry[] {
    const entries: ClusterLogEntry[] = [
      ...update.elections.flatMap((record) => this.election(record)),
      ...update.roles
        .filter((change) => change.role !== 'leader') // a leader is told by its election
        .map((change) => entry(change.at, change.memberId, 'role', `${change.memberId} is ${article(change.role)} ${change.role} (term ${change.term})`)),
      ...Object.values(update.snapshots).flatMap((records) => records.map(snapshotEntry)),
      ...this.connectionChanges(update),
    ];
    entries.sort((a, b) => a.at - b.at);
    return entries.slice(-MAX_LOG_ENTRIES);
  }

  private election(record: ElectionRecord): ClusterLogEntry[] {
    if (record.winner === null || this.toldTerms.has(record.term)) return [];
    this.toldTerms.add(record.term);
    if (this.toldTerms.size > TOLD_TERMS_KEPT) this.toldTerms.delete(Math.min(...this.toldTerms));
    const votes = record.votes === null ? '' : ` with ${record.votes} votes`;
    const leaderless = record.leaderlessMs === null ? '' : `, ${Math.round(record.leaderlessMs)} ms without a leader`;
    return [entry(record.endedAt ?? record.startedAt, record.winner, 'election', `${record.winner} won the election for term ${record.term}${votes}${leaderless}`)];
  }

  /** Losing a member and finding it again; connecting at first is not news. */
  private connectionChanges(update: TelemetryUpdate): ClusterLogEntry[] {
    const entries: ClusterLogEntry[] = [];
    for (const member of update.summary.members) {
      const before = this.connections.get(member.id);
      this.connections.set(member.id, member.connection);
      if (before === member.connection) continue;
      if (member.connection === 'unreachable') {
        entries.push(entry(update.summary.at, member.id, 'connection', `${member.id} is unreachable${member.lastError ? `: ${member.lastError}` : ''}`));
      } else if (member.connection === 'connected' && before === 'unreachable') {
        entries.push(entry(update.summary.at, member.id, 'connection', `${member.id} is reachable again`));
      }
    }
    return entries;
  }
}

function snapshotEntry(record: SnapshotRecord): ClusterLogEntry {
  const size = `${formatBytes(record.bytes)}, ${Math.round(record.durationMs)} ms`;
  const message =
    record.action === 'created'
      ? `${record.memberId} took a snapshot at index ${record.index} (${size})`
      : record.action === 'sent'
        ? `${record.memberId} sent its snapshot at index ${record.index} to ${record.peer ?? 'a follower'} (${size})`
        : `${record.memberId} installed a snapshot at index ${record.index}${record.peer ? ` from ${record.peer}` : ''} (${size})`;
  return entry(record.at, record.memberId, 'snapshot', message);
}

function entry(at: number, memberId: string | null, kind: ClusterLogEntry['kind'], message: string): ClusterLogEntry {
  return { at, memberId, kind, message };
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
