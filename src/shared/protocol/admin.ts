// The admin protocol on `/admin` (SPEC): requests, their answers, and reading what a node sends.
import * as z from 'zod';
import { adminEventSchema, type AdminEvent } from './admin-events.ts';
import { failureFrameSchema, type FailureFrame } from './errors.ts';
import { countSchema, memberIdSchema, memberUrlSchema, requestIdSchema } from './fields.ts';
import { parseJsonObject, parseRequestFrame, validateFrame, type FrameParseResult, type RequestParseResult } from './frame.ts';
import { MAX_PAUSE_MS } from './limits.ts';
import { faultFields, faultStateSchema, nodeStatusSchema, type FaultState, type NodeStatus } from './node-status.ts';

export interface StatusRequest {
  id: number;
  op: 'status';
}

/** Answered with an ack; events follow on the same connection. */
export interface SubscribeRequest {
  id: number;
  op: 'subscribe';
}

/** Leader only; answered once the change is committed. */
export interface AddMemberRequest {
  id: number;
  op: 'add-member';
  memberId: string;
  url: string;
  /** Join as a non-voting learner (the safe first step before `promote-member`). */
  learner?: boolean;
}

export interface PromoteMemberRequest {
  id: number;
  op: 'promote-member';
  memberId: string;
}

export interface RemoveMemberRequest {
  id: number;
  op: 'remove-member';
  memberId: string;
}

/** Answered once `to` leads. */
export interface TransferLeadershipRequest {
  id: number;
  op: 'transfer-leadership';
  to: string;
}

export interface SnapshotRequest {
  id: number;
  op: 'snapshot';
}

/** Fields of `set` replace those faults; fields left out keep their current value. */
export type FaultSet = Partial<FaultState>;

/** `set` changes some faults; `clear` removes them all. */
export type FaultRequest = { id: number; op: 'fault'; set: FaultSet } | { id: number; op: 'fault'; clear: true };

export interface PauseRequest {
  id: number;
  op: 'pause';
  ms: number;
}

/** The node exits at once; an answer may or may not arrive first. */
export interface CrashRequest {
  id: number;
  op: 'crash';
}

export type AdminRequest =
  | StatusRequest
  | SubscribeRequest
  | AddMemberRequest
  | PromoteMemberRequest
  | RemoveMemberRequest
  | TransferLeadershipRequest
  | SnapshotRequest
  | FaultRequest
  | PauseRequest
  | CrashRequest;

export type AdminOp = AdminRequest['op'];

function bareRequestSchema<Op extends AdminOp>(op: Op) {
  return z.object({ id: requestIdSchema, op: z.literal(op) });
}

const faultRequestSchema = z
  .object({
    id: requestIdSchema,
    op: z.literal('fault'),
    // Strict: a misspelled field must be refused, not taken for "no fault".
    set: z
      .strictObject(faultFields, { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object' : undefined) })
      .partial()
      .optional(),
    clear: z.literal(true, { error: 'must be true' }).optional(),
  })
  .refine((request) => (request.set === undefined) !== (request.clear === undefined), 'give either "set": {...} or "clear": true, not both')
  .transform(({ id, op, set }): FaultRequest => (set === undefined ? { id, op, clear: true } : { id, op, set }));

const requestSchemasByOp: Readonly<Record<AdminOp, z.ZodType<AdminRequest>>> = {
  status: bareRequestSchema('status'),
  subscribe: bareRequestSchema('subscribe'),
  'add-member': z.object({
    id: requestIdSchema,
    op: z.literal('add-member'),
    memberId: memberIdSchema,
    url: memberUrlSchema,
    learner: z.boolean({ error: 'must be a boolean' }).optional(),
  }) satisfies z.ZodType<AddMemberRequest>,
  'promote-member': z.object({ id: requestIdSchema, op: z.literal('promote-member'), memberId: memberIdSchema }),
  'remove-member': z.object({ id: requestIdSchema, op: z.literal('remove-member'), memberId: memberIdSchema }),
  'transfer-leadership': z.object({ id: requestIdSchema, op: z.literal('transfer-leadership'), to: memberIdSchema }),
  snapshot: bareRequestSchema('snapshot'),
  fault: faultRequestSchema,
  pause: z.object({
    id: requestIdSchema,
    op: z.literal('pause'),
    ms: z
      .int({ error: `must be an integer number of milliseconds from 1 to ${MAX_PAUSE_MS}` })
      .min(1, `must be from 1 to ${MAX_PAUSE_MS}`)
      .max(MAX_PAUSE_MS, `must be from 1 to ${MAX_PAUSE_MS}`),
  }),
  crash: bareRequestSchema('crash'),
};

export const ADMIN_OPS = Object.keys(requestSchemasByOp) as AdminOp[];

/** Reads one `/admin` text frame. Never throws; a failure carries the request id when readable. */
export function parseAdminRequest(text: string): RequestParseResult<AdminRequest> {
  return parseRequestFrame(text, requestSchemasByOp);
}

export interface SnapshotInfo {
  index: number;
  term: number;
  bytes: number;
}

/** Successful answers name their op, so a reader can check them without remembering the request. */
export type AdminSuccess =
  | { id: number; ok: true; op: 'status'; status: NodeStatus }
  | { id: number; ok: true; op: 'snapshot'; snapshot: SnapshotInfo }
  | { id: number; ok: true; op: 'fault'; faults: FaultState }
  | { id: number; ok: true; op: Exclude<AdminOp, 'status' | 'snapshot' | 'fault'> };

export type AdminResponse = AdminSuccess | FailureFrame;

/** Anything a node sends on `/admin`. */
export type AdminServerFrame = AdminResponse | AdminEvent;

const ACK_OPS = ['subscribe', 'add-member', 'promote-member', 'remove-member', 'transfer-leadership', 'pause', 'crash'] as const satisfies readonly AdminOp[];

const successBase = { id: requestIdSchema, ok: z.literal(true, { error: 'must be true' }) };

export const adminSuccessSchema = z.discriminatedUnion(
  'op',
  [
    z.object({ ...successBase, op: z.literal('status'), status: nodeStatusSchema }),
    z.object({
      ...successBase,
      op: z.literal('snapshot'),
      snapshot: z.object({ index: countSchema, term: countSchema, bytes: countSchema }, { error: 'must be an object' }),
    }),
    z.object({ ...successBase, op: z.literal('fault'), faults: faultStateSchema }),
    z.object({ ...successBase, op: z.enum(ACK_OPS) }),
  ],
  { error: `must be one of ${ADMIN_OPS.join(', ')}` },
) satisfies z.ZodType<AdminSuccess>;

/** Reads one frame a node sent on `/admin`: an answer (success or failure) or an event. */
export function parseAdminServerFrame(text: string): FrameParseResult<AdminServerFrame> {
  const json = parseJsonObject(text);
  if (!json.ok) return json;
  const frame = json.value;
  if (Object.hasOwn(frame, 'event')) return validateFrame<AdminServerFrame>(frame, adminEventSchema);
  return validateFrame<AdminServerFrame>(frame, frame.ok === false ? failureFrameSchema : adminSuccessSchema);
}
