// One round of a failover drill: wait for a stable leader taking writes, inject the fault on it,
// measure how long until a write is acknowledged again and who took over, keep the fault for a
// while, undo it, and wait until every member has caught up.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DrillFault, DrillRound } from '../../shared/drill.ts';
import type { ClusterConnection } from '../connection/cluster-connection.ts';
import type { LocalCluster } from '../hosting/local-cluster.ts';
import type { FaultInjector } from '../ops/faults.ts';
import { currentLeader, describeMembers } from '../ops/leader.ts';
import { OperationError } from '../ops/operation-error.ts';
import type { Timeline } from '../ops/timeline.ts';
import type { WriteAck, Workload } from './workload.ts';

export interface RoundContext {
  conn: ClusterConnection;
  host: LocalCluster | undefined;
  injector: FaultInjector;
  timeline: Timeline;
  workload: Workload;
  faultMs: number;
  settleMs: number;
  progress: (line: string) => void;
  /** Aborted: the round stops at its next wait, and injects no fault from then on. */
  signal: AbortSignal | undefined;
}

/** How long, beyond faultMs, a fault is kept while no write has been acknowledged. */
export const FAILOVER_TIMEOUT_MS = 30_000;
/** Bound on a stable leader taking writes before a round, and on convergence after it. */
const STEADY_TIMEOUT_MS = 30_000;
/** A member killed or paused by other means than this host (a remote cluster) may take this long to return. */
const REMOTE_RETURN_TIMEOUT_MS = 60_000;
/** After the first write, how long to wait for the connection to see the new leader's status. */
const NEW_LEADER_SIGHTING_MS = 5_000;

export async function runRound(ctx: RoundContext, round: number, fault: DrillFault): Promise<DrillRound> {
  const { conn, timeline, workload, progress } = ctx;
  const notes: string[] = [];
  await sleep(ctx.settleMs, undefined, { signal: ctx.signal });
  await nextWriteAck(workload, performance.now(), STEADY_TIMEOUT_MS, 'a write to be acknowledged before the fault');
  const leader = await currentLeader(conn, STEADY_TIMEOUT_MS);
  const { id: oldLeader, term: oldTerm } = leader.status;
  workload.pinReaders(leader.admin.url);
  progress(`round ${round}: ${oldLeader} leads in term ${oldTerm}; injecting ${fault} on it`);

  // Only writes sent after the fault count: an earlier one may have been acknowledged by the old leader.
  let injectedAt = Infinity;
  let stopWatching = () => {};
  const firstAck = new Promise<WriteAck>((resolve) => {
    stopWatching = workload.onWriteAck((ack) => {
      if (ack.invokedAt >= injectedAt) resolve(ack);
    });
  });
  try {
    ctx.signal?.throwIfAborted();
    await inject(ctx, fault, oldLeader);
  } catch (error) {
    stopWatching();
    throw error;
  }
  injectedAt = performance.now();
  const injectedEpoch = Date.now();
  const probe = new AbortController();
  const probing = workload.probeWrites(workload.urls.filter((url) => url !== leader.admin.url), probe.signal);

  const ack = await within(firstAck, ctx.faultMs + FAILOVER_TIMEOUT_MS);
  stopWatching();
  probe.abort();
  const unavailabilityMs = ack ? round1(ack.ackedAt - injectedAt) : null;
  if (ack) timeline.record({ kind: 'note', action: 'first-write', detail: { round, afterMs: unavailabilityMs } });
  else notes.push(`no write was acknowledged within ${ctx.faultMs + FAILOVER_TIMEOUT_MS} ms of the fault`);

  if (ack) await conn.waitUntil((c) => newLeaderOf(c, oldLeader, oldTerm) !== undefined, NEW_LEADER_SIGHTING_MS, 'the new leader').catch(() => {});
  const successor = newLeaderOf(conn, oldLeader, oldTerm);
  if (successor) timeline.record({ kind: 'note', action: 'new-leader', target: [successor.id], detail: { round, term: successor.term } });
  else notes.push(`no other member was seen leading after ${oldLeader} in term ${oldTerm}`);
  progress(
    `round ${round}: ` +
      (successor ? `${successor.id} leads in term ${successor.term}; ` : 'no new leader seen; ') +
      (ack ? `first write acknowledged ${unavailabilityMs} ms after the fault` : 'no write acknowledged'),
  );

  const heldFor = performance.now() - injectedAt;
  if (heldFor < ctx.faultMs) await sleep(ctx.faultMs - heldFor, undefined, { signal: ctx.signal });
  await probing;
  progress(`round ${round}: undoing the ${fault} of ${oldLeader} after ${Math.round(performance.now() - injectedAt)} ms`);
  await undo(ctx, fault, oldLeader);
  const faultHeldMs = round1(performance.now() - injectedAt);
  const convergenceMs = await waitForConvergence(conn, STEADY_TIMEOUT_MS);
  timeline.record({ kind: 'note', action: 'converged', detail: { round, afterMs: convergenceMs } });
  progress(`round ${round}: every member caught up in ${convergenceMs} ms`);
  return {
    round,
    fault,
    target: oldLeader,
    oldLeader,
    newLeader: successor?.id ?? null,
    oldTerm,
    newTerm: successor?.term ?? null,
    unavailabilityMs,
    injectedAt: injectedEpoch,
    faultHeldMs,
    convergenceMs,
    notes,
  };
}

/**
 * Waits until every member of the configuration has applied what the leader had committed when the
 * wait began (all equal, once writes have stopped); resolves with how long that took.
 */
export async function waitForConvergence(conn: ClusterConnection, timeoutMs: number): Promise<number> {
  const start = performance.now();
  const since = Date.now();
  const leader = await currentLeader(conn, timeoutMs);
  const target = leader.status.commitIndex;
  const { voters, learners } = leader.status.config;
  const members = [...voters, ...learners];
  const remaining = Math.max(1, timeoutMs - (performance.now() - start));
  try {
    await conn.waitUntil(
      (c) =>
        members.every((id) => {
          const view = c.member(id);
          return view?.state === 'connected' && (view.statusAt ?? 0) >= since && (view.status?.appliedIndex ?? 0) >= target;
        }),
      remaining,
      `every member (${members.join(', ')}) to apply index ${target}`,
    );
  } catch {
    throw new OperationError(`the members did not all apply index ${target} within ${timeoutMs} ms (members: ${describeMembers(conn)})`);
  }
  return round1(performance.now() - start);
}

async function inject(ctx: RoundContext, fault: DrillFault, target: string): Promise<void> {
  switch (fault) {
    case 'kill':
      return ctx.injector.kill(target);
    case 'partition':
      return ctx.injector.partition([target]);
    case 'pause':
      // A hosted member is resumed at heal; a remote one resumes by itself once the fault's time is up.
      return ctx.injector.pause(target, { ms: ctx.host ? ctx.faultMs + FAILOVER_TIMEOUT_MS : ctx.faultMs });
  }
}

/** Heals the cluster; a remote member that was killed or paused must come back by itself. */
async function undo(ctx: RoundContext, fault: DrillFault, target: string): Promise<void> {
  await ctx.injector.heal();
  if (ctx.host || fault === 'partition') return;
  const why = fault === 'kill' ? 'a remote kill-leader drill needs members that a supervisor restarts' : 'it should have resumed after its pause';
  await ctx.conn
    .waitUntil((c) => c.member(target)?.state === 'connected', REMOTE_RETURN_TIMEOUT_MS, `${target} to answer again`)
    .catch(() => {
      throw new OperationError(`${target} did not answer again within ${REMOTE_RETURN_TIMEOUT_MS} ms after the ${fault}: ${why}`);
    });
}

/** A connected member other than the old leader that leads in a later term. */
function newLeaderOf(conn: ClusterConnection, oldLeader: string, oldTerm: number): { id: string; term: number } | undefined {
  for (const view of conn.memberViews()) {
    const status = view.status;
    if (view.state === 'connected' && status?.role === 'leader' && status.id !== oldLeader && status.term > oldTerm) return { id: status.id, term: status.term };
  }
  return undefined;
}

/** Resolves with the first write acknowledged that was sent after `since`; throws after `timeoutMs`. */
function nextWriteAck(workload: Workload, since: number, timeoutMs: number, what: string): Promise<WriteAck> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new OperationError(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const stop = workload.onWriteAck((ack) => {
      if (ack.invokedAt < since) return;
      clearTimeout(timer);
      stop();
      resolve(ack);
    });
  });
}

/** `promise`'s value, or undefined if it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
