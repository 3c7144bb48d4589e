// One randomized run per seed: chaos for `steps` steps under the Nemesis, then calm, then
// liveness (a leader within a bound, then fresh proposals applied on every live voter within a
// bound). Safety is checked on every step by the Cluster's Invariants.
import { Cluster } from './cluster.ts';
import { drawProfile, Nemesis } from './nemesis.ts';
import { Rng } from './rng.ts';
import { Violation } from './violation.ts';

export interface RunOptions {
  seed: number;
  steps: number;
  nodes: number;
  /** Trace events kept for a violation report; Infinity keeps all (determinism checks). */
  traceCapacity?: number;
}

export interface RunStats {
  elections: number;
  commits: number;
  snapshots: number;
  compactions: number;
  confChanges: number;
  transfers: number;
  crashes: number;
  reads: number;
  messages: number;
}

export interface RunResult {
  seed: number;
  stats: RunStats;
  violation?: { invariant: string; detail: string };
  trace: string[];
}

/**
 * Steps allowed, once faults stop, for a leader to emerge, and for each proposal to apply on every
 * voter: a fixed allowance plus one per entry of backlog the slowest voter must first catch up on
 * (one entry per App and one App in flight, at the calm network's round trip, in the worst case).
 */
const LEADER_BOUND = 400;
const COMMIT_BOUND = 200;
const STEPS_PER_BACKLOG_ENTRY = 5;
const LIVENESS_PROPOSALS = 3;

export function validateRunOptions(o: RunOptions): void {
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new Error(`seed must be a non-negative integer, got ${o.seed}`);
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new Error(`steps must be a positive integer, got ${o.steps}`);
  if (o.nodes !== 3 && o.nodes !== 5) throw new Error(`nodes must be 3 or 5, got ${o.nodes}`);
}

export function runSeed(options: RunOptions): RunResult {
  validateRunOptions(options);
  const rng = new Rng(options.seed);
  const profile = drawProfile(rng);
  const cluster = new Cluster({
    seed: rng.int(0x100000000),
    nodes: options.nodes,
    network: profile.network,
    compactEvery: profile.compactEvery,
    maxInflight: profile.maxInflight,
    maxBytesPerMsg: profile.maxBytesPerMsg,
    traceCapacity: options.traceCapacity ?? 50,
  });
  const nemesis = new Nemesis(cluster, rng.fork(), profile, `s${options.seed}`);
  let violation: RunResult['violation'];
  try {
    for (let i = 0; i < options.steps; i++) {
      nemesis.act();
      cluster.step();
    }
    nemesis.calm();
    checkLiveness(cluster, nemesis);
  } catch (e) {
    violation =
      e instanceof Violation ? { invariant: e.invariant, detail: e.detail } : { invariant: 'core-error', detail: String((e as Error).stack ?? e) };
  }
  const s = cluster.stats;
  return {
    seed: options.seed,
    stats: {
      elections: cluster.inv.elections(),
      commits: cluster.inv.highestCommitted(),
      snapshots: s.snapshotsInstalled,
      compactions: s.compactions,
      confChanges: s.confChanges,
      transfers: s.transfers,
      crashes: s.crashes,
      reads: s.reads,
      messages: s.messages,
    },
    violation,
    trace: cluster.trace.lines(),
  };
}

function checkLiveness(cluster: Cluster, nemesis: Nemesis): void {
  const waitFor = (done: () => boolean, bound: number, what: () => string) => {
    for (let i = 0; !done(); i++) {
      if (i >= bound) throw new Violation('liveness', `${what()} within ${bound} steps after faults stopped (t=${cluster.now})`);
      cluster.step();
    }
  };
  waitFor(() => cluster.leader() !== undefined, LEADER_BOUND, () => 'no leader');
  const leader = cluster.leader()!.status();
  const slowest = Math.min(...leader.conf.voters.map((id) => cluster.node(id).sm.applied));
  const backlog = Math.max(0, leader.lastIndex - slowest);
  for (let i = 0; i < LIVENESS_PROPOSALS; i++) {
    const payload = nemesis.nextPayload();
    let proposedTo: string | undefined;
    const appliedOnVoters = () => {
      const leader = cluster.leader();
      if (!leader) return false;
      // A change of leader may lose the entry: propose again to the new one.
      if (proposedTo !== leader.id && leader.status().transferee === undefined) {
        proposedTo = cluster.propose(leader.id, payload).ok ? leader.id : undefined;
      }
      return cluster.appliedOn(payload, leader.status().conf.voters);
    };
    const bound = COMMIT_BOUND + (i === 0 ? STEPS_PER_BACKLOG_ENTRY * backlog : 0);
    waitFor(appliedOnVoters, bound, () => `${payload} not applied on every voter (${lagging(cluster, payload)})`);
  }
}

/** Who misses `payload`, and how the leader sees them. */
function lagging(cluster: Cluster, payload: string): string {
  const leader = cluster.leader();
  if (!leader) return 'no leader';
  const status = leader.status();
  const behind = status.conf.voters.filter((id) => !cluster.node(id).sm.hasApplied(payload));
  const views = behind.map((id) => `${id} applied=${cluster.node(id).sm.applied} progress=${JSON.stringify(status.progress?.[id])}`);
  return `leader ${leader.id} term=${status.term} last=${status.lastIndex}; ${views.join('; ')}`;
}

export function sumStats(a: RunStats, b: RunStats): RunStats {
  return {
    elections: a.elections + b.elections,
    commits: a.commits + b.commits,
    snapshots: a.snapshots + b.snapshots,
    compactions: a.compactions + b.compactions,
    confChanges: a.confChanges + b.confChanges,
    transfers: a.transfers + b.transfers,
    crashes: a.crashes + b.crashes,
    reads: a.reads + b.reads,
    messages: a.messages + b.messages,
  };
}

export const ZERO_STATS: RunStats = {
  elections: 0,
  commits: 0,
  snapshots: 0,
  compactions: 0,
  confChanges: 0,
  transfers: 0,
  crashes: 0,
  reads: 0,
  messages: 0,
};
