// NodeStatus (SPEC) of this node, assembled from the loop, the write-ahead log and the transport.
import type { ConfState, Role, Status } from '../raft/types.ts';
import type { FaultState, Member, NodeRole, NodeStatus, PeerProgressStatus } from '../shared/protocol/node-status.ts';

export interface StatusSources {
  id: string;
  cluster: string;
  version: string;
  /** Date.now() when the process started serving. */
  startedAt: number;
  tickMs: number;
  raft(): Status;
  appliedIndex(): number;
  snapshot(): { index: number; term: number; bytes: number };
  wal(): { bytes: number; segments: number };
  faults(): FaultState;
}

export function buildNodeStatus(src: StatusSources): NodeStatus {
  const raft = src.raft();
  const status: NodeStatus = {
    id: src.id,
    cluster: src.cluster,
    version: src.version,
    pid: process.pid,
    uptimeMs: Date.now() - src.startedAt,
    role: nodeRole(raft.role, raft.conf, src.id),
    term: raft.term,
    votedFor: raft.vote || null,
    leaderId: raft.leaderId || null,
    commitIndex: raft.commit,
    appliedIndex: src.appliedIndex(),
    firstIndex: raft.firstIndex,
    lastIndex: raft.lastIndex,
    snapshot: src.snapshot(),
    wal: src.wal(),
    config: { voters: [...raft.conf.voters], learners: [...raft.conf.learners] },
    members: membersOf(raft.conf),
    faults: src.faults(),
  };
  if (raft.progress) {
    const progress: Record<string, PeerProgressStatus> = {};
    for (const [peer, pr] of Object.entries(raft.progress)) {
      progress[peer] = {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        inflight: pr.inflight,
        lagEntries: Math.max(0, raft.lastIndex - pr.match),
        lastContactMs: pr.ticksSinceContact * src.tickMs,
      };
    }
    status.progress = progress;
  }
  return status;
}

/** The core knows no learner role: a learner is a follower that the configuration lists as one. */
export function nodeRole(role: Role, conf: ConfState, id: string): NodeRole {
  return role === 'follower' && conf.learners.includes(id) ? 'learner' : role;
}

export function membersOf(conf: ConfState): Member[] {
  return Object.entries(conf.urls)
    .map(([id, url]) => ({ id, url }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
