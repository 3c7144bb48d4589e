// Membership operations on a live cluster, each a safe sequence of admin requests: add a member as
// a learner, wait until it has caught up, then promote it; remove a member only when the voters
// left can still form a quorum; hand leadership to a chosen voter and wait until it leads.
import { setTimeout as sleep } from 'node:timers/promises';
import { isMemberUrl, MEMBER_ID_PATTERN } from '../../shared/protocol/fields.ts';
import type { ClusterConfig, NodeStatus } from '../../shared/protocol/node-status.ts';
import type { ClusterConnection } from '../connection/cluster-connection.ts';
import { changeOnLeader, currentLeader } from './leader.ts';
import { OperationError } from './operation-error.ts';

export { OperationError } from './operation-error.ts';

export interface MembershipProgress {
  phase: 'adding' | 'catching-up' | 'promoting' | 'done';
  /** While catching up: the leader's match index for the new member, and its own last index. */
  matched?: number;
  leaderLastIndex?: number;
}

export interface AddMemberOptions {
  /** Default true: learner → catch up → promote. False: it stays a learner. */
  voter?: boolean;
  /** Default 60 s. */
  catchUpTimeoutMs?: number;
  /** Bound on each membership change (add, promote), elections included. Default 20 s. */
  changeTimeoutMs?: number;
  onProgress?: (progress: MembershipProgress) => void;
}

/** A learner this close to the leader's last index has caught up: promoting it will not stall commits. */
export const CATCH_UP_SLACK_ENTRIES = 5;
/** A voter the leader has not heard from for this long counts as unreachable. */
export const STALE_CONTACT_MS = 3_000;
const DEFAULT_CATCH_UP_TIMEOUT_MS = 60_000;
const DEFAULT_CHANGE_TIMEOUT_MS = 20_000;
const DEFAULT_TRANSFER_TIMEOUT_MS = 15_000;
const CATCH_UP_POLL_MS = 200;

/**
 * Adds a member that is already running (started with --join) at `member.url`: as a learner first,
 * then, once it has caught up with the leader's log, promoted to voter. Resumes a half-done add
 * (the member already a learner). Throws an OperationError saying what failed.
 */
export async function addMember(conn: ClusterConnection, member: { id: string; url: string }, opts: AddMemberOptions = {}): Promise<void> {
  const { id, url } = member;
  if (!MEMBER_ID_PATTERN.test(id)) throw new OperationError(`"${id}" is not a member id: 1 to 32 of a-z, 0-9 and "-", not starting with "-"`);
  if (!isMemberUrl(url)) throw new OperationError(`"${url}" is not a member URL: expected ws://HOST:PORT or wss://HOST:PORT`);
  const changeTimeoutMs = opts.changeTimeoutMs ?? DEFAULT_CHANGE_TIMEOUT_MS;
  const report = opts.onProgress ?? (() => {});

  const before = await currentLeader(conn, changeTimeoutMs);
  if (before.status.config.voters.includes(id)) throw new OperationError(`${id} is already a voter`);
  const taken = before.status.members.find((m) => m.url === url && m.id !== id);
  if (taken) throw new OperationError(`${url} is already the URL of member ${taken.id}`);
  conn.addUrl(url, id);

  report({ phase: 'adding' });
  await changeOnLeader(conn, {
    what: `adding ${id} as a learner`,
    done: (leader) => isMember(leader.config, id),
    apply: (admin, timeoutMs) => admin.addMember(id, url, { learner: true, timeoutMs }),
    timeoutMs: changeTimeoutMs,
  });
  if (opts.voter === false) {
    report({ phase: 'done' });
    return;
  }

  report({ phase: 'catching-up' });
  await waitForCatchUp(conn, id, opts.catchUpTimeoutMs ?? DEFAULT_CATCH_UP_TIMEOUT_MS, report);

  report({ phase: 'promoting' });
  await changeOnLeader(conn, {
    what: `promoting ${id} to voter`,
    done: (leader) => leader.config.voters.includes(id),
    apply: (admin, timeoutMs) => admin.promoteMember(id, timeoutMs),
    timeoutMs: changeTimeoutMs,
  });
  report({ phase: 'done' });
}

/**
 * Why removing `memberId` now would be unsafe, or undefined when it is safe. `statuses` are those of
 * the members that answer now (see reachableStatuses): the voters left after the removal that are
 * reachable must form a quorum of the new configuration.
 */
export function removalRefusal(statuses: readonly NodeStatus[], memberId: string): string | undefined {
  const reference = referenceStatus(statuses);
  if (!reference) return `no member answers, so it cannot be told whether removing ${memberId} is safe`;
  const { voters, learners, votersOutgoing } = reference.config;
  if (votersOutgoing && votersOutgoing.length > 0) return 'a membership change is still in progress; try again once it completes';
  if (learners.includes(memberId)) return undefined;
  if (!voters.includes(memberId)) {
    const learnerList = learners.length > 0 ? `; learners: ${learners.join(', ')}` : '';
    return `${memberId} is not a member of the cluster (voters: ${voters.join(', ')}${learnerList})`;
  }
  const remaining = voters.filter((v) => v !== memberId);
  if (remaining.length === 0) return `${memberId} is the only voter: removing it would leave the cluster without voters`;
  const reachable = remaining.filter((v) => isReachable(v, statuses, reference));
  const quorum = Math.floor(remaining.length / 2) + 1;
  if (reachable.length >= quorum) return undefined;
  const unreachable = remaining.filter((v) => !reachable.includes(v));
  return (
    `removing ${memberId} leaves ${reachable.length} of ${remaining.length} voters reachable ` +
    `(${unreachable.join(', ')} cannot be reached) and ${quorum} are needed: the cluster would lose its quorum`
  );
}

/** The statuses of the members connected now, for removalRefusal. */
export function reachableStatuses(conn: ClusterConnection): NodeStatus[] {
  return conn.memberViews().flatMap((v) => (v.state === 'connected' && v.status ? [v.status] : []));
}

/**
 * Removes a member (voter or learner) from the configuration, after checking it is safe; a leader
 * that is to be removed first hands leadership to the most up-to-date reachable voter. The removed
 * member's process keeps running: stop it (LocalCluster.retire for a hosted one).
 */
export async function removeMember(conn: ClusterConnection, memberId: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CHANGE_TIMEOUT_MS;
  const refusal = removalRefusal(reachableStatuses(conn), memberId);
  if (refusal) throw new OperationError(refusal);
  const leader = await currentLeader(conn, timeoutMs);
  if (leader.status.id === memberId) await transferLeadership(conn, successor(leader.status, reachableStatuses(conn)), { timeoutMs });
  await changeOnLeader(conn, {
    what: `removing ${memberId}`,
    done: (status) => !isMember(status.config, memberId),
    apply: (admin, remainingMs) => admin.removeMember(memberId, remainingMs),
    timeoutMs,
  });
  conn.forget(memberId);
}

/** Hands leadership to the voter `to` and resolves once the connection sees it lead. */
export async function transferLeadership(conn: ClusterConnection, to: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TRANSFER_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  const leader = await currentLeader(conn, timeoutMs);
  if (!leader.status.config.voters.includes(to)) {
    throw new OperationError(`${to} is not a voter, so it cannot lead (voters: ${leader.status.config.voters.join(', ')})`);
  }
  await changeOnLeader(conn, {
    what: `transferring leadership to ${to}`,
    done: (status) => status.id === to,
    apply: (admin, remainingMs) => admin.transferLeadership(to, remainingMs),
    timeoutMs: Math.max(1, deadline - performance.now()),
  });
}

/** Resolves once the leader has replicated (nearly) all of its log to `id`, or `id` has applied it. */
async function waitForCatchUp(conn: ClusterConnection, id: string, timeoutMs: number, report: (p: MembershipProgress) => void): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  for (;;) {
    const remaining = deadline - performance.now();
    const leader = await currentLeader(conn, Math.max(1, remaining));
    const progress = leader.status.progress?.[id];
    const matched = progress?.match ?? 0;
    const leaderLastIndex = leader.status.lastIndex;
    const seen = `${matched}/${leaderLastIndex}`;
    if (seen !== last) report({ phase: 'catching-up', matched, leaderLastIndex });
    last = seen;
    const applied = conn.member(id)?.status?.appliedIndex ?? 0;
    const replicated = progress !== undefined && matched >= leaderLastIndex - CATCH_UP_SLACK_ENTRIES;
    if (replicated || applied >= leader.status.commitIndex - CATCH_UP_SLACK_ENTRIES) return;
    if (remaining <= 0) {
      throw new OperationError(`${id} did not catch up within ${timeoutMs} ms: the leader has replicated ${matched} of ${leaderLastIndex} entries to it`);
    }
    await sleep(Math.min(CATCH_UP_POLL_MS, remaining));
  }
}

function isMember(config: ClusterConfig, id: string): boolean {
  return config.voters.includes(id) || config.learners.includes(id);
}

/** The status whose configuration counts: the leader of the highest term, else the most advanced. */
function referenceStatus(statuses: readonly NodeStatus[]): NodeStatus | undefined {
  const rank = (s: NodeStatus): [number, number, number] => [s.role === 'leader' ? 1 : 0, s.term, s.commitIndex];
  return [...statuses].sort((a, b) => compareRanks(rank(b), rank(a)))[0];
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** It answers, and, when the reference is a leader, the leader has heard from it lately. */
function isReachable(id: string, statuses: readonly NodeStatus[], reference: NodeStatus): boolean {
  if (!statuses.some((s) => s.id === id)) return false;
  if (reference.role !== 'leader' || id === reference.id) return true;
  const contact = reference.progress?.[id]?.lastContactMs;
  return contact === undefined || contact <= STALE_CONTACT_MS;
}

/** The reachable voter, other than the leader, the leader has replicated most to. */
function successor(leader: NodeStatus, statuses: readonly NodeStatus[]): string {
  const candidates = leader.config.voters.filter((v) => v !== leader.id && isReachable(v, statuses, leader));
  const match = (id: string) => leader.progress?.[id]?.match ?? 0;
  const best = candidates.sort((a, b) => match(b) - match(a))[0];
  if (best === undefined) throw new OperationError(`${leader.id} leads and no other voter can be reached to take over before it is removed`);
  return best;
}
