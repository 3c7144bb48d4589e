// The failover drill's report (SPEC "raftctl — addressing and the drill report"): the JSON that
// `raftctl drill failover --json` prints and the app saves, plus the extras the app and the HTML
// report show. Plain data; times are ms since the epoch unless named otherwise.

export type DrillScenario = 'kill-leader' | 'partition-leader' | 'pause-leader' | 'sequence';
export const DRILL_SCENARIOS = ['kill-leader', 'partition-leader', 'pause-leader', 'sequence'] as const satisfies readonly DrillScenario[];

/** The fault one round injects on the leader; `sequence` rotates through them. */
export type DrillFault = 'kill' | 'partition' | 'pause';

/** One line of what happened to a cluster: a fault, its automatic revert, a heal, or a note. */
export interface TimelineEntry {
  at: number;
  kind: 'fault' | 'revert' | 'heal' | 'note';
  /** e.g. kill, restart, pause, resume, partition, delay, heal, new-leader, first-write. */
  action: string;
  /** The members it concerns. */
  target?: string[];
  detail?: Record<string, unknown>;
}

export interface DrillRound {
  round: number;
  fault: DrillFault;
  target: string;
  oldLeader: string;
  /** null when no other member took over while the fault lasted. */
  newLeader: string | null;
  oldTerm: number;
  newTerm: number | null;
  /** From the fault's injection to the first write acknowledged after it; null when none was. */
  unavailabilityMs: number | null;
  /** When the fault was injected. */
  injectedAt: number;
  /** From the injection until the fault was undone (for a kill: the member running again). */
  faultHeldMs: number;
  /** From undoing the fault until every member had applied what the leader had committed by then. */
  convergenceMs: number | null;
  notes: string[];
}

/** An operation of the history, as the checker describes it. */
export interface DrillOperation {
  /** Position among the history's invocations, from 0. */
  id: number;
  process: number;
  op: 'get' | 'put' | 'delete' | 'cas';
  key: string;
  /** put and cas: the value written. */
  value?: string;
  /** cas: the value required before the swap; null means "key absent". */
  expect?: string | null;
  /** `info` also covers an invocation the history ends without completing. */
  status: 'ok' | 'fail' | 'info';
  /** ok get: the value read; ok cas: the value after it. */
  result?: string | null;
  /** ok cas only. */
  swapped?: boolean;
  /** ms on the history's monotonic clock. */
  invokeTime: number;
  /** When the client learned the outcome (for `info`: gave up; it may take effect later); null when the history ended first. */
  completeTime: number | null;
}

export interface DrillAnomaly {
  key: string;
  reason: string;
  /** The operations that prove it. */
  ops: DrillOperation[];
}

export interface Distribution {
  min: number;
  p50: number;
  p90: number;
  max: number;
}

export interface DrillReport {
  scenario: DrillScenario;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  rounds: DrillRound[];
  ops: { ok: number; failed: number; unknown: number };
  verdict: 'linearizable' | 'not-linearizable' | 'unknown';
  /** Acknowledged writes missing afterwards. */
  lostWrites: number;
  anomalies: DrillAnomaly[];
  historyFile: string;
  /** Where the drill saved this report: as JSON and as a self-contained HTML page. */
  reportFiles: { json: string; html: string };
  /** The prefix of every key the drill used; fresh for each run. */
  runId: string;
  members: string[];
  clients: number;
  keys: number;
  faultMs: number;
  /** Over the rounds with a measured unavailability; null when none was measured. */
  unavailability: Distribution | null;
  /** Keys the checker could not decide within its budget (verdict `unknown`). */
  undecidedKeys: string[];
  checkMs: number;
  timeline: TimelineEntry[];
}
