// The failure half of the client and admin protocols: error codes and the frame that carries one.
import * as z from 'zod';
import { memberIdSchema, memberUrlSchema, requestIdSchema } from './fields.ts';

export const ERROR_CODES = [
  'NOT_LEADER',
  'NO_LEADER',
  'TIMEOUT',
  'BAD_REQUEST',
  'TOO_LARGE',
  'UNAUTHORIZED',
  'OVERLOADED',
  'SHUTTING_DOWN',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

// SPEC: after these the request was definitely not applied; after TIMEOUT, SHUTTING_DOWN or a
// closed connection the outcome is unknown. UNAUTHORIZED requests never reach the log either.
const NOT_APPLIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_LEADER',
  'NO_LEADER',
  'BAD_REQUEST',
  'TOO_LARGE',
  'UNAUTHORIZED',
  'OVERLOADED',
]);

export function isDefinitelyNotApplied(code: ErrorCode): boolean {
  return NOT_APPLIED.has(code);
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** With NOT_LEADER, when the node knows the leader. */
  leaderId?: string;
  leaderUrl?: string;
}

/** `id` is absent only when the request's id could not be read. */
export interface FailureFrame {
  id?: number;
  ok: false;
  error: ErrorBody;
}

export interface LeaderHint {
  leaderId?: string;
  leaderUrl?: string;
}

export function failure(id: number | undefined, code: ErrorCode, message: string, leader: LeaderHint = {}): FailureFrame {
  const error: ErrorBody = { code, message };
  if (leader.leaderId !== undefined) error.leaderId = leader.leaderId;
  if (leader.leaderUrl !== undefined) error.leaderUrl = leader.leaderUrl;
  return id === undefined ? { ok: false, error } : { id, ok: false, error };
}

export const failureFrameSchema = z.object({
  id: requestIdSchema.optional(),
  ok: z.literal(false, { error: 'must be false' }),
  error: z.object(
    {
      code: z.enum(ERROR_CODES, { error: `must be one of ${ERROR_CODES.join(', ')}` }),
      message: z.string({ error: 'must be a string' }),
      leaderId: memberIdSchema.optional(),
      leaderUrl: memberUrlSchema.optional(),
    },
    { error: 'must be an object' },
  ),
}) satisfies z.ZodType<FailureFrame>;
