// NodeStatus (SPEC): what a node reports about itself on `/admin`, in answers and `status` events.
import * as z from 'zod';
import { countSchema, durationMsSchema, memberIdSchema, memberSchema } from './fields.ts';
import { MAX_FAULT_DELAY_MS, MAX_FAULT_PEERS } from './limits.ts';

export type NodeRole = 'leader' | 'follower' | 'candidate' | 'precandidate' | 'learner';
export const NODE_ROLES = ['leader', 'follower', 'candidate', 'precandidate', 'learner'] as const satisfies readonly NodeRole[];

export interface Member {
  id: string;
  url: string;
}

export interface ClusterConfig {
  voters: string[];
  learners: string[];
  /** The outgoing voters while a joint configuration is in force. */
  votersOutgoing?: string[];
}

/** The message-level faults active in a node's transport; empty lists and zeros when none. */
export interface FaultState {
  dropTo: string[];
  dropFrom: string[];
  delayMs: number;
  jitterMs: number;
  /** Probability, 0..1, that an outgoing message is lost. */
  lossRate: number;
  /** Probability, 0..1, that an outgoing message is sent twice. */
  duplicateRate: number;
}

export interface PeerProgressStatus {
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  inflight: number;
  /** The leader's last index minus `match`. */
  lagEntries: number;
  /** Milliseconds since the leader last heard from this peer. */
  lastContactMs: number;
}

export interface NodeStatus {
  id: string;
  cluster: string;
  /** The raft-node software version. */
  version: string;
  pid: number;
  uptimeMs: number;
  role: NodeRole;
  term: number;
  /** null when the node has not voted in this term. */
  votedFor: string | null;
  /** null when the node knows no leader. */
  leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  firstIndex: number;
  lastIndex: number;
  snapshot: { index: number; term: number; bytes: number };
  wal: { bytes: number; segments: number };
  config: ClusterConfig;
  members: Member[];
  faults: FaultState;
  /** Only on the leader: every other member by id. */
  progress?: Record<string, PeerProgressStatus>;
}

const memberListSchema = z.array(memberIdSchema, { error: 'must be an array of member ids' });

export const clusterConfigSchema = z.object(
  { voters: memberListSchema, learners: memberListSchema, votersOutgoing: memberListSchema.optional() },
  { error: 'must be an object' },
) satisfies z.ZodType<ClusterConfig>;

const probabilitySchema = z.number({ error: 'must be a number from 0 to 1' }).min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1');
const delaySchema = z
  .number({ error: `must be a number of milliseconds from 0 to ${MAX_FAULT_DELAY_MS}` })
  .min(0, `must be from 0 to ${MAX_FAULT_DELAY_MS}`)
  .max(MAX_FAULT_DELAY_MS, `must be from 0 to ${MAX_FAULT_DELAY_MS}`);
const dropListSchema = memberListSchema.max(MAX_FAULT_PEERS, `must name at most ${MAX_FAULT_PEERS} members`);

/** The fields of a fault, each with its bounds; `fault set` takes any subset of them. */
export const faultFields = {
  dropTo: dropListSchema,
  dropFrom: dropListSchema,
  delayMs: delaySchema,
  jitterMs: delaySchema,
  lossRate: probabilitySchema,
  duplicateRate: probabilitySchema,
};

export const faultStateSchema = z.object(faultFields, { error: 'must be an object' }) satisfies z.ZodType<FaultState>;

const nullableMemberId = memberIdSchema.nullable();
const objectError = { error: 'must be an object' };

export const peerProgressStatusSchema = z.object(
  {
    match: countSchema,
    next: countSchema,
    state: z.enum(['probe', 'replicate', 'snapshot'], { error: 'must be "probe", "replicate" or "snapshot"' }),
    inflight: countSchema,
    lagEntries: countSchema,
    lastContactMs: durationMsSchema,
  },
  objectError,
) satisfies z.ZodType<PeerProgressStatus>;

export const nodeStatusSchema = z.object(
  {
    id: memberIdSchema,
    cluster: z.string({ error: 'must be a string' }),
    version: z.string({ error: 'must be a string' }),
    pid: countSchema,
    uptimeMs: durationMsSchema,
    role: z.enum(NODE_ROLES, { error: `must be one of ${NODE_ROLES.join(', ')}` }),
    term: countSchema,
    votedFor: nullableMemberId,
    leaderId: nullableMemberId,
    commitIndex: countSchema,
    appliedIndex: countSchema,
    firstIndex: countSchema,
    lastIndex: countSchema,
    snapshot: z.object({ index: countSchema, term: countSchema, bytes: countSchema }, objectError),
    wal: z.object({ bytes: countSchema, segments: countSchema }, objectError),
    config: clusterConfigSchema,
    members: z.array(memberSchema, { error: 'must be an array of {id, url}' }),
    faults: faultStateSchema,
    progress: z.record(memberIdSchema, peerProgressStatusSchema, objectError).optional(),
  },
  objectError,
) satisfies z.ZodType<NodeStatus>;
