// Leader-only operations: finding the member that leads right now, and carrying out a change
// through elections and brief refusals without ever applying it twice.
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeStatus } from '../../shared/protocol/node-status.ts';
import type { AdminClient } from '../connection/admin-client.ts';
import type { ClusterConnection } from '../connection/cluster-connection.ts';
import { RequestError, type RequestErrorCode } from '../connection/request-error.ts';
import { OperationError } from './operation-error.ts';

export interface Leader {
  admin: AdminClient;
  status: NodeStatus;
}

/** Failures after which the same change may be tried again: no leader, busy, or an unknown outcome. */
const RETRIABLE: ReadonlySet<RequestErrorCode> = new Set([
  'NOT_LEADER',
  'NO_LEADER',
  'OVERLOADED',
  'UNAVAILABLE',
  'TIMEOUT',
  'CONNECTION_LOST',
  'SHUTTING_DOWN',
]);
const RETRY_PAUSE_MS = 100;
const LOOK_AGAIN_MS = 50;
const STATUS_TIMEOUT_MS = 2_000;

/**
 * The member that leads now, by its own answer: the connection's view may be one poll behind (a
 * leader that just lost its term). Throws an OperationError after `timeoutMs`.
 */
export async function currentLeader(conn: ClusterConnection, timeoutMs: number): Promise<Leader> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw new OperationError(`no leader within ${timeoutMs} ms (members: ${describeMembers(conn)})`);
    const view = conn.leader();
    if (view) {
      const admin = conn.admin(view.url);
      try {
        const status = await admin.status(Math.min(remaining, STATUS_TIMEOUT_MS));
        if (status.role === 'leader') return { admin, status };
      } catch {
        // It may have just stopped; look again.
      }
    }
    await sleep(Math.min(LOOK_AGAIN_MS, remaining));
  }
}

export interface LeaderChange {
  /** For messages: "adding n4 as a learner". */
  what: string;
  /** True once the leader's status shows the change made (checked before every attempt). */
  done: (leader: NodeStatus) => boolean;
  apply: (admin: AdminClient, timeoutMs: number) => Promise<void>;
  timeoutMs: number;
}

/**
 * Applies a change on the leader, retrying while there is no leader, the leader is busy, or an
 * attempt's outcome is unknown; before each attempt the leader's status is checked, so a change that
 * did take effect is not made twice. Resolves once the connection's view of the leader shows the
 * change; throws an OperationError with the reason when it fails.
 */
export async function changeOnLeader(conn: ClusterConnection, change: LeaderChange): Promise<void> {
  const deadline = performance.now() + change.timeoutMs;
  const remaining = () => Math.max(1, deadline - performance.now());
  let lastFailure: RequestError | undefined;
  let mayHaveApplied = false;
  for (;;) {
    if (performance.now() >= deadline) {
      const why = lastFailure ? `; last answer: ${lastFailure.message}` : '';
      throw new OperationError(`${change.what} did not complete within ${change.timeoutMs} ms${why}`);
    }
    const leader = await currentLeader(conn, remaining());
    if (change.done(leader.status)) break;
    try {
      await change.apply(leader.admin, remaining());
      break;
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      if (!RETRIABLE.has(error.code)) {
        // An earlier attempt with an unknown outcome may have made the change after all.
        if (mayHaveApplied && change.done((await currentLeader(conn, STATUS_TIMEOUT_MS)).status)) break;
        throw new OperationError(`${change.what} failed: ${error.message}`);
      }
      lastFailure = error;
      mayHaveApplied ||= !error.definitelyNotApplied;
      await sleep(RETRY_PAUSE_MS);
    }
  }
  // So that whoever reads the connection next sees the change made.
  await conn
    .waitUntil((c) => {
      const status = c.leader()?.status;
      return status !== undefined && status !== null && change.done(status);
    }, remaining(), `the connection to see ${change.what} done`)
    .catch((error: Error) => {
      throw new OperationError(error.message);
    });
}

/** "n1 connected leader, n2 unreachable (no answer ...)" for messages. */
export function describeMembers(conn: ClusterConnection): string {
  const views = conn.memberViews();
  if (views.length === 0) return 'none';
  return views
    .map((v) => `${v.id ?? v.url} ${v.state}${v.status ? ` ${v.status.role}` : ''}${v.lastError ? ` (${v.lastError})` : ''}`)
    .join('; ');
}
