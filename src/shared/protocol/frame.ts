// Turning one JSON text frame into a validated value, or into a message naming the bad field.
// Nothing here throws: a frame is outside input, and a bad one must not cost the connection.
import * as z from 'zod';
import { requestIdSchema } from './fields.ts';
import { MAX_FRAME_BYTES } from './limits.ts';
import { utf8ByteLength } from './utf8.ts';

export interface RequestParseFailure {
  ok: false;
  /** The request's id, when it could be read, so the answer can carry it back. */
  id?: number;
  code: 'BAD_REQUEST' | 'TOO_LARGE';
  message: string;
}

export type RequestParseResult<T> = { ok: true; request: T } | RequestParseFailure;

export type FrameParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** The `params` of a refinement whose failure is TOO_LARGE rather than BAD_REQUEST. */
export const TOO_LARGE = { tooLarge: true } as const;

const idOnlySchema = z.object({ id: requestIdSchema });

/** Validates a request frame against the schema of its `op`. */
export function parseRequestFrame<T>(text: string, schemasByOp: Readonly<Record<string, z.ZodType<T>>>): RequestParseResult<T> {
  if (text.length > MAX_FRAME_BYTES || utf8ByteLength(text) > MAX_FRAME_BYTES) {
    return refuse(leadingId(text), 'TOO_LARGE', `frame: must be at most ${MAX_FRAME_BYTES} bytes of UTF-8`);
  }
  const json = parseJsonObject(text);
  if (!json.ok) return refuse(leadingId(text), 'BAD_REQUEST', json.message);
  const frame = json.value;

  const idResult = idOnlySchema.safeParse(frame);
  if (!idResult.success) return refuse(undefined, 'BAD_REQUEST', describeIssue(idResult.error.issues[0], frame));
  const id = idResult.data.id;

  const ops = Object.keys(schemasByOp);
  if (!Object.hasOwn(frame, 'op')) return refuse(id, 'BAD_REQUEST', 'op: is required');
  const op = frame.op;
  if (typeof op !== 'string' || !Object.hasOwn(schemasByOp, op)) {
    return refuse(id, 'BAD_REQUEST', `op: must be one of ${ops.join(', ')}, got ${describeValue(op)}`);
  }

  const result = schemasByOp[op].safeParse(frame);
  if (result.success) return { ok: true, request: result.data };
  // A malformed frame is reported as such even when some field is also too large.
  const issue = result.error.issues.find((candidate) => !isTooLarge(candidate)) ?? result.error.issues[0];
  return refuse(id, isTooLarge(issue) ? 'TOO_LARGE' : 'BAD_REQUEST', describeIssue(issue, frame));
}

export function validateFrame<T>(frame: Record<string, unknown>, schema: z.ZodType<T>): FrameParseResult<T> {
  const result = schema.safeParse(frame);
  return result.success ? { ok: true, value: result.data } : { ok: false, message: describeIssue(result.error.issues[0], frame) };
}

export function parseJsonObject(text: string): FrameParseResult<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `frame: not valid JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: `frame: must be a JSON object, got ${describeValue(value)}` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function refuse(id: number | undefined, code: RequestParseFailure['code'], message: string): RequestParseFailure {
  return id === undefined ? { ok: false, code, message } : { ok: false, id, code, message };
}

/** The id of a frame that is not valid JSON, when it plainly starts with one: `{"id":7,...`. */
function leadingId(text: string): number | undefined {
  const match = /^\s*\{\s*"id"\s*:\s*(-?\d+)\s*[,}]/.exec(text.slice(0, 64));
  if (match === null) return undefined;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}

function isTooLarge(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.tooLarge === true;
}

function describeIssue(issue: z.core.$ZodIssue, frame: Record<string, unknown>): string {
  const field = formatPath(issue.path);
  const found = valueAt(frame, issue.path);
  if (!found.present) return `${field}: is required`;
  const showValue = field !== '' && !isTooLarge(issue) && issue.code !== 'unrecognized_keys';
  const problem = showValue ? `${issue.message}, got ${describeValue(found.value)}` : issue.message;
  return field === '' ? problem : `${field}: ${problem}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { present: boolean; value?: unknown } {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return { present: false };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'nothing';
    default:
      return 'an object';
  }
}
