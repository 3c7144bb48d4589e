// The events pushed to `/admin` subscribers (SPEC): the loop's elections, roles, snapshots and
// membership changes, the transport's snapshot sends, fault changes, and a throttled status.
import type { NodeId } from '../raft/types.ts';
import type { AdminEvent } from '../shared/protocol/admin-events.ts';
import type { FaultState, NodeRole, NodeStatus } from '../shared/protocol/node-status.ts';
import { membersOf, nodeRole } from './node-status.ts';
import type { RaftLoop } from './raft-loop.ts';

/** Status events go out at most this often, and only when something changed. */
export const STATUS_EVENT_INTERVAL_MS = 100;

type Send = (event: AdminEvent) => void;

export class AdminEventFeed {
  private readonly subscribers = new Set<Send>();
  private timer: NodeJS.Timeout | undefined;
  private lastStatusKey = '';
  private role: NodeRole;

  constructor(
    private readonly id: NodeId,
    private readonly loop: RaftLoop,
    private readonly status: () => NodeStatus,
  ) {
    const raft = loop.status();
    this.role = nodeRole(raft.role, raft.conf, id);
    loop.on('election', (e) => this.publish({ event: 'election', ...this.stamp(), ...e }));
    loop.on('role', (e) => {
      const role = nodeRole(e.role, this.loop.status().conf, this.id);
      this.publish({ event: 'role', ...this.stamp(), role, previousRole: this.role, term: e.term, leaderId: e.leaderId || null });
      this.role = role;
    });
    loop.on('snapshot', ({ phase, ...e }) => {
      const peer = phase === 'installed' ? this.loop.leader().id : '';
      this.publish({ event: 'snapshot', ...this.stamp(), action: phase, ...e, ...(peer ? { peer } : {}) });
    });
    loop.on('membership', ({ conf, index, change }) => {
      const config = { voters: [...conf.voters], learners: [...conf.learners] };
      const memberId = change.type === 'bootstrap' ? {} : { memberId: change.id };
      this.publish({ event: 'membership', ...this.stamp(), change: change.type, ...memberId, index, config, members: membersOf(conf) });
    });
  }

  /** Starts pushing events to `send`, beginning with the current status; returns the unsubscribe. */
  subscribe(send: Send): () => void {
    this.subscribers.add(send);
    send({ event: 'status', ...this.stamp(), status: this.status() });
    this.timer ??= setInterval(() => this.publishStatusIfChanged(), STATUS_EVENT_INTERVAL_MS);
    return () => {
      this.subscribers.delete(send);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  snapshotSent(e: { peer: NodeId; index: number; term: number; bytes: number; durationMs: number }): void {
    this.publish({ event: 'snapshot', ...this.stamp(), action: 'sent', ...e });
  }

  faultsChanged(faults: FaultState): void {
    this.publish({ event: 'fault', ...this.stamp(), faults });
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private publishStatusIfChanged(): void {
    const status = this.status();
    const key = statusKey(status);
    if (key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    this.publish({ event: 'status', ...this.stamp(), status });
  }

  private publish(event: AdminEvent): void {
    for (const send of this.subscribers) send(event);
  }

  private stamp(): { node: string; at: number } {
    return { node: this.id, at: Date.now() };
  }
}

/** What counts as a change: everything but the clocks that move on their own. */
function statusKey(status: NodeStatus): string {
  const progress = Object.entries(status.progress ?? {}).map(([peer, { lastContactMs: _, ...rest }]) => [peer, rest]);
  return JSON.stringify({ ...status, uptimeMs: 0, progress });
}
