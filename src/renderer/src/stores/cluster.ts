// The watched cluster as the page shows it, built from the API's updates (the app store feeds them
// in): which cluster, members, leader, the operation under way, and bounded series for the charts
// and the event log. A full update replaces everything but the user's own log lines; a delta
// appends to the series and replaces elections by term.
import type { ClusterLogEntry, ClusterMember, ClusterUpdate, OperationStatus } from '@shared/api.ts';
import type { ElectionRecord, LagSample } from '@shared/telemetry.ts';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';

/** Lag samples kept per follower (about a minute at 4 a second), and how far back they go. */
export const MAX_LAG_POINTS = 240;
export const LAG_WINDOW_MS = 90_000;
export const MAX_ELECTIONS = 50;
export const MAX_LOG_LINES = 200;

export interface LogLine extends Omit<ClusterLogEntry, 'kind'> {
  /** `action`: something the user did here. */
  kind: ClusterLogEntry['kind'] | 'action';
  /** Unique in this page, for list keys. */
  seq: number;
}

export const useClusterStore = defineStore('cluster', () => {
  const info = shallowRef<ClusterUpdate['cluster'] | null>(null);
  const source = computed(() => info.value?.source ?? null);
  /** A remote cluster: the app reaches its members through admin ops alone (no signals, no restarts). */
  const remote = computed(() => source.value?.kind === 'remote');
  const members = shallowRef<ClusterMember[]>([]);
  const leaderId = ref<string | null>(null);
  const term = ref(0);
  const commitRate = ref(0);
  const updatedAt = ref(0);
  const lag = shallowRef<Record<string, LagSample[]>>({});
  const elections = shallowRef<ElectionRecord[]>([]);
  /** Newest first. */
  const log = shallowRef<LogLine[]>([]);
  /** What the app is doing to the cluster, whoever asked. */
  const operation = shallowRef<OperationStatus | null>(null);
  let seq = 0;

  function applyUpdate(update: ClusterUpdate): void {
    info.value = update.cluster;
    members.value = update.members;
    leaderId.value = update.leaderId;
    term.value = update.term;
    commitRate.value = update.commitRate;
    updatedAt.value = update.at;
    lag.value = mergeLag(update.full ? {} : lag.value, update.lag, update.at);
    elections.value = mergeElections(update.full ? [] : elections.value, update.elections);
    addLogLines(update.log, update.full);
    operation.value = update.operation;
  }

  /** A line about something the user did (the cluster's own events come with updates). */
  function note(message: string, memberId: string | null): void {
    addLogLines([{ at: Date.now(), memberId, kind: 'action', message }], false);
  }

  /**
   * Newest first by time: updates come throttled, so a line may arrive after a later one. `replace`
   * (a full update) drops the cluster's lines kept so far, not the user's.
   */
  function addLogLines(entries: Omit<LogLine, 'seq'>[], replace: boolean): void {
    const lines = entries.map((entry) => ({ ...entry, seq: ++seq }));
    const kept = replace ? log.value.filter((line) => line.kind === 'action') : log.value;
    log.value = [...lines, ...kept].sort((a, b) => b.at - a.at || b.seq - a.seq).slice(0, MAX_LOG_LINES);
  }

  return { info, source, remote, members, leaderId, term, commitRate, updatedAt, lag, elections, log, operation, applyUpdate, note };
});

function mergeLag(kept: Record<string, LagSample[]>, added: Record<string, LagSample[]>, now: number): Record<string, LagSample[]> {
  const merged: Record<string, LagSample[]> = {};
  for (const id of new Set([...Object.keys(kept), ...Object.keys(added)])) {
    const before = kept[id] ?? [];
    const last = before.at(-1)?.at ?? -Infinity;
    const points = [...before, ...(added[id] ?? []).filter((sample) => sample.at > last)]
      .filter((sample) => sample.at >= now - LAG_WINDOW_MS)
      .slice(-MAX_LAG_POINTS);
    if (points.length > 0) merged[id] = points;
  }
  return merged;
}

function mergeElections(kept: ElectionRecord[], changed: ElectionRecord[]): ElectionRecord[] {
  const byTerm = new Map(kept.map((record) => [record.term, record]));
  for (const record of changed) byTerm.set(record.term, record);
  return [...byTerm.values()].sort((a, b) => a.term - b.term).slice(-MAX_ELECTIONS);
}
