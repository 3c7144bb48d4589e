// The events a node pushes on `/admin` after `subscribe` (SPEC): `{"event": TYPE, ...}`.
import * as z from 'zod';
import { countSchema, durationMsSchema, memberIdSchema, memberSchema } from './fields.ts';
import {
  clusterConfigSchema,
  faultStateSchema,
  NODE_ROLES,
  nodeStatusSchema,
  type ClusterConfig,
  type FaultState,
  type Member,
  type NodeRole,
  type NodeStatus,
} from './node-status.ts';

interface EventBase {
  /** The member that emitted the event. */
  node: string;
  /** When, in milliseconds since the Unix epoch, by the emitting node's clock. */
  at: number;
}

/** Throttled: at most every 100 ms, and only when something changed. */
export interface StatusEvent extends EventBase {
  event: 'status';
  status: NodeStatus;
}

/** This node's own candidacy: `started` when it campaigns, then `won` or `lost`. */
export interface ElectionEvent extends EventBase {
  event: 'election';
  phase: 'started' | 'won' | 'lost';
  term: number;
  candidate: string;
  /** Votes granted so far, the candidate's own included. */
  votes: number;
  /** Since the campaign started; 0 for `started`. */
  durationMs: number;
}

export interface RoleEvent extends EventBase {
  event: 'role';
  role: NodeRole;
  previousRole: NodeRole;
  term: number;
  leaderId: string | null;
}

/** `created` here; `sent` to `peer` by a leader; `installed` here from `peer`. */
export interface SnapshotEvent extends EventBase {
  event: 'snapshot';
  action: 'created' | 'sent' | 'installed';
  index: number;
  term: number;
  bytes: number;
  durationMs: number;
  peer?: string;
}

export type MembershipChange = 'bootstrap' | 'add-learner' | 'add-voter' | 'promote' | 'remove';

/** A configuration change took effect here; `config` and `members` are the result. */
export interface MembershipEvent extends EventBase {
  event: 'membership';
  change: MembershipChange;
  /** The member added, promoted or removed; absent for bootstrap. */
  memberId?: string;
  /** The log index of the change. */
  index: number;
  config: ClusterConfig;
  members: Member[];
}

/** The faults in force after a `fault` request changed them. */
export interface FaultEvent extends EventBase {
  event: 'fault';
  faults: FaultState;
}

export type AdminEvent = StatusEvent | ElectionEvent | RoleEvent | SnapshotEvent | MembershipEvent | FaultEvent;
export type AdminEventType = AdminEvent['event'];

const base = { node: memberIdSchema, at: z.number({ error: 'must be a timestamp in milliseconds' }) };
const roleSchema = z.enum(NODE_ROLES, { error: `must be one of ${NODE_ROLES.join(', ')}` });
const MEMBERSHIP_CHANGES = ['bootstrap', 'add-learner', 'add-voter', 'promote', 'remove'] as const satisfies readonly MembershipChange[];

export const adminEventSchema = z.discriminatedUnion(
  'event',
  [
    z.object({ ...base, event: z.literal('status'), status: nodeStatusSchema }) satisfies z.ZodType<StatusEvent>,
    z.object({
      ...base,
      event: z.literal('election'),
      phase: z.enum(['started', 'won', 'lost'], { error: 'must be "started", "won" or "lost"' }),
      term: countSchema,
      candidate: memberIdSchema,
      votes: countSchema,
      durationMs: durationMsSchema,
    }) satisfies z.ZodType<ElectionEvent>,
    z.object({
      ...base,
      event: z.literal('role'),
      role: roleSchema,
      previousRole: roleSchema,
      term: countSchema,
      leaderId: memberIdSchema.nullable(),
    }) satisfies z.ZodType<RoleEvent>,
    z.object({
      ...base,
      event: z.literal('snapshot'),
      action: z.enum(['created', 'sent', 'installed'], { error: 'must be "created", "sent" or "installed"' }),
      index: countSchema,
      term: countSchema,
      bytes: countSchema,
      durationMs: durationMsSchema,
      peer: memberIdSchema.optional(),
    }) satisfies z.ZodType<SnapshotEvent>,
    z.object({
      ...base,
      event: z.literal('membership'),
      change: z.enum(MEMBERSHIP_CHANGES, { error: `must be one of ${MEMBERSHIP_CHANGES.join(', ')}` }),
      memberId: memberIdSchema.optional(),
      index: countSchema,
      config: clusterConfigSchema,
      members: z.array(memberSchema, { error: 'must be an array of {id, url}' }),
    }) satisfies z.ZodType<MembershipEvent>,
    z.object({ ...base, event: z.literal('fault'), faults: faultStateSchema }) satisfies z.ZodType<FaultEvent>,
  ],
  { error: 'must be one of status, election, role, snapshot, membership, fault' },
);
