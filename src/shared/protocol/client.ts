// The client protocol on `/client` (SPEC): key-value requests and their answers.
import * as z from 'zod';
import { failureFrameSchema, type FailureFrame } from './errors.ts';
import { countSchema, requestIdSchema } from './fields.ts';
import { parseJsonObject, parseRequestFrame, TOO_LARGE, validateFrame, type FrameParseResult, type RequestParseResult } from './frame.ts';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from './limits.ts';
import { utf8ByteLength } from './utf8.ts';

export type Consistency = 'linearizable' | 'serializable';

export interface GetRequest {
  id: number;
  op: 'get';
  /** Absent means linearizable. */
  consistency?: Consistency;
  key: string;
}

export interface PutRequest {
  id: number;
  op: 'put';
  key: string;
  value: string;
}

export interface DeleteRequest {
  id: number;
  op: 'delete';
  key: string;
}

export interface CasRequest {
  id: number;
  op: 'cas';
  key: string;
  /** null: swap only when the key is absent. */
  expect: string | null;
  value: string;
}

export type ClientRequest = GetRequest | PutRequest | DeleteRequest | CasRequest;
export type ClientOp = ClientRequest['op'];

/**
 * A successful answer. `value` is the value after the operation (null when absent); `index` the
 * log index it reflects. `prev` may come with put and delete; `swapped` comes only with cas.
 */
export interface ClientSuccess {
  id: number;
  ok: true;
  value: string | null;
  index: number;
  prev?: string | null;
  swapped?: boolean;
}

export type ClientResponse = ClientSuccess | FailureFrame;

const keySchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .refine((key) => utf8ByteLength(key) <= MAX_KEY_BYTES, { message: `must be at most ${MAX_KEY_BYTES} bytes of UTF-8`, params: TOO_LARGE });

const valueSchema = z
  .string({ error: 'must be a string' })
  .refine((value) => utf8ByteLength(value) <= MAX_VALUE_BYTES, {
    message: `must be at most ${MAX_VALUE_BYTES} bytes of UTF-8`,
    params: TOO_LARGE,
  });

export const getRequestSchema = z.object({
  id: requestIdSchema,
  op: z.literal('get'),
  key: keySchema,
  consistency: z.enum(['linearizable', 'serializable'], { error: 'must be "linearizable" or "serializable"' }).optional(),
}) satisfies z.ZodType<GetRequest>;

export const putRequestSchema = z.object({
  id: requestIdSchema,
  op: z.literal('put'),
  key: keySchema,
  value: valueSchema,
}) satisfies z.ZodType<PutRequest>;

export const deleteRequestSchema = z.object({
  id: requestIdSchema,
  op: z.literal('delete'),
  key: keySchema,
}) satisfies z.ZodType<DeleteRequest>;

export const casRequestSchema = z.object({
  id: requestIdSchema,
  op: z.literal('cas'),
  key: keySchema,
  expect: valueSchema.nullable(),
  value: valueSchema,
}) satisfies z.ZodType<CasRequest>;

const requestSchemasByOp: Readonly<Record<ClientOp, z.ZodType<ClientRequest>>> = {
  get: getRequestSchema,
  put: putRequestSchema,
  delete: deleteRequestSchema,
  cas: casRequestSchema,
};

export const CLIENT_OPS = Object.keys(requestSchemasByOp) as ClientOp[];

/** Reads one `/client` text frame. Never throws; a failure carries the request id when readable. */
export function parseClientRequest(text: string): RequestParseResult<ClientRequest> {
  return parseRequestFrame(text, requestSchemasByOp);
}

const nullableString = z.string({ error: 'must be a string or null' }).nullable();

export const clientSuccessSchema = z.object({
  id: requestIdSchema,
  ok: z.literal(true, { error: 'must be true' }),
  value: nullableString,
  index: countSchema,
  prev: nullableString.optional(),
  swapped: z.boolean({ error: 'must be a boolean' }).optional(),
}) satisfies z.ZodType<ClientSuccess>;

/** Reads one answer from `/client` (for clients: raftctl, the control plane, drills). */
export function parseClientResponse(text: string): FrameParseResult<ClientResponse> {
  const json = parseJsonObject(text);
  if (!json.ok) return json;
  return validateFrame<ClientResponse>(json.value, json.value.ok === false ? failureFrameSchema : clientSuccessSchema);
}
