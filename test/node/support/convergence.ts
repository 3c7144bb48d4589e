// Waiting for a cluster (or the members of one side of a partition) to agree: on a leader, and
// on what they have applied.
import type { NodeStatus } from '../../../src/shared/protocol/node-status.ts';
import type { TestCluster } from './cluster.ts';
import { waitUntil } from './wait.ts';

/** The leader every member in `ids` names in one term, one of them; waits up to `timeoutMs`. */
export function leaderAmong(cluster: TestCluster, ids: readonly string[], timeoutMs = 20_000): Promise<string> {
  return waitUntil(`a leader agreed on by ${ids.join(', ')}`, timeoutMs, async () => {
    const statuses = await Promise.all(ids.map((id) => cluster.status(id)));
    const leader = statuses.find((s) => s.role === 'leader');
    if (!leader) return undefined;
    return statuses.every((s) => s.leaderId === leader.id && s.term === leader.term) ? leader.id : undefined;
  });
}

/**
 * Waits until every member in `ids` has applied all that the leader among them has committed,
 * and the leader has nothing uncommitted; resolves with their statuses.
 */
export function waitConverged(cluster: TestCluster, ids: readonly string[], timeoutMs = 20_000): Promise<NodeStatus[]> {
  return waitUntil(`${ids.join(', ')} to apply the same index`, timeoutMs, async () => {
    const statuses = await Promise.all(ids.map((id) => cluster.status(id)));
    const leader = statuses.find((s) => s.role === 'leader');
    if (!leader || leader.commitIndex !== leader.lastIndex) return undefined;
    return statuses.every((s) => s.appliedIndex === leader.commitIndex && s.leaderId === leader.id) ? statuses : undefined;
  });
}
