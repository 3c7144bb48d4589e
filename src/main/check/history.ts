// The history of a key-value workload: one event when a client sends a request (`invoke`) and one
// when it learns the outcome (`ok`, `fail` or `info`), stored as JSON Lines. The checkers work on
// operations: an invoke paired with its completion.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { DrillOperation } from '../../shared/drill.ts';

export type OpName = 'get' | 'put' | 'delete' | 'cas';

const processId = z.number().int().nonnegative();
const key = z.string();
/** Milliseconds from a monotonic clock (performance.now()); all events of one history share it. */
const time = z.number().nonnegative();
const base = { process: processId, key, time };

const invokeEvent = z.discriminatedUnion('op', [
  z.strictObject({ type: z.literal('invoke'), ...base, op: z.literal('get') }),
  z.strictObject({ type: z.literal('invoke'), ...base, op: z.literal('put'), value: z.string() }),
  z.strictObject({ type: z.literal('invoke'), ...base, op: z.literal('delete') }),
  z.strictObject({
    type: z.literal('invoke'),
    ...base,
    op: z.literal('cas'),
    expect: z.string().nullable(),
    value: z.string(),
  }),
]);

/** The raft log index of the answer, kept only to help a reader of the history. */
const index = z.number().int().nonnegative().optional();

const okEvent = z.discriminatedUnion('op', [
  z.strictObject({ type: z.literal('ok'), ...base, op: z.literal('get'), value: z.string().nullable(), index }),
  z.strictObject({ type: z.literal('ok'), ...base, op: z.literal('put'), index }),
  z.strictObject({ type: z.literal('ok'), ...base, op: z.literal('delete'), index }),
  z.strictObject({
    type: z.literal('ok'),
    ...base,
    op: z.literal('cas'),
    swapped: z.boolean(),
    /** The value of the key after the cas. */
    value: z.string().nullable(),
    index,
  }),
]);

const opName = z.enum(['get', 'put', 'delete', 'cas']);
const error = z.string().optional();
/** Definitely not applied. */
const failEvent = z.strictObject({ type: z.literal('fail'), ...base, op: opName, error });
/** Unknown outcome: it may take effect at any time after its invocation, or never. */
const infoEvent = z.strictObject({ type: z.literal('info'), ...base, op: opName, error });

const historyEventSchema = z.discriminatedUnion('type', [invokeEvent, okEvent, failEvent, infoEvent]);

export type HistoryEvent = z.infer<typeof historyEventSchema>;
export type InvokeEvent = z.infer<typeof invokeEvent>;
export type CompletionEvent = Exclude<HistoryEvent, InvokeEvent>;

/** An invocation paired with its outcome. */
/** One paired operation of a history (invocation and outcome); shared with the drill report. */
export type Operation = DrillOperation;

/**
 * Pairs every invocation with the next completion of the same process. A process has at most one
 * operation in flight; `where(i)` names event i in error messages.
 */
export function pairOperations(
  events: readonly HistoryEvent[],
  where: (eventIndex: number) => string = (i) => `event ${i + 1}`,
): Operation[] {
  const operations: Operation[] = [];
  const pending = new Map<number, { operation: Operation; eventIndex: number }>();
  events.forEach((event, i) => {
    const inFlight = pending.get(event.process);
    if (event.type === 'invoke') {
      if (inFlight) {
        throw new Error(
          `${where(i)}: process ${event.process} invokes ${event.op} while its ${inFlight.operation.op} ` +
            `from ${where(inFlight.eventIndex)} has not completed`,
        );
      }
      const operation = operationFromInvoke(event, operations.length);
      operations.push(operation);
      pending.set(event.process, { operation, eventIndex: i });
      return;
    }
    if (!inFlight) {
      throw new Error(`${where(i)}: ${event.type} for process ${event.process}, which has no operation in flight`);
    }
    const { operation } = inFlight;
    if (operation.op !== event.op || operation.key !== event.key) {
      throw new Error(
        `${where(i)}: ${event.type} ${event.op} ${JSON.stringify(event.key)} does not match process ` +
          `${event.process}'s ${operation.op} ${JSON.stringify(operation.key)} from ${where(inFlight.eventIndex)}`,
      );
    }
    if (event.time < operation.invokeTime) {
      throw new Error(`${where(i)}: completes at ${event.time} ms, before its invocation at ${operation.invokeTime} ms`);
    }
    complete(operation, event);
    pending.delete(event.process);
  });
  return operations;
}

function operationFromInvoke(event: InvokeEvent, id: number): Operation {
  return {
    id,
    process: event.process,
    op: event.op,
    key: event.key,
    ...(event.op === 'put' || event.op === 'cas' ? { value: event.value } : {}),
    ...(event.op === 'cas' ? { expect: event.expect } : {}),
    status: 'info',
    invokeTime: event.time,
    completeTime: null,
  };
}

function complete(operation: Operation, event: CompletionEvent): void {
  operation.status = event.type;
  operation.completeTime = event.time;
  if (event.type !== 'ok') return;
  if (event.op === 'get') operation.result = event.value;
  if (event.op === 'cas') {
    operation.result = event.value;
    operation.swapped = event.swapped;
  }
}

export function formatHistoryJsonl(events: readonly HistoryEvent[]): string {
  return events.map((event) => JSON.stringify(event) + '\n').join('');
}

/**
 * Parses and validates a JSONL history: every line must be a valid event and the events must pair
 * up (see pairOperations). Blank lines are skipped. Errors name the line.
 */
export function parseHistoryJsonl(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lineOfEvent: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    events.push(parseEventLine(line, i + 1));
    lineOfEvent.push(i + 1);
  });
  pairOperations(events, (eventIndex) => `line ${lineOfEvent[eventIndex]}`);
  return events;
}

function parseEventLine(line: string, lineNumber: number): HistoryEvent {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    throw new Error(`line ${lineNumber}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return validateHistoryEvent(json);
  } catch (err) {
    throw new Error(`line ${lineNumber}: ${(err as Error).message}`);
  }
}

/** Returns the event, or throws an error listing what is wrong with it. */
export function validateHistoryEvent(candidate: unknown): HistoryEvent {
  const parsed = historyEventSchema.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`);
    throw new Error(`invalid event: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Reads and validates a JSONL history file; errors name the file and the line. */
export async function readHistoryFile(path: string): Promise<HistoryEvent[]> {
  const text = await readFile(path, 'utf8');
  try {
    return parseHistoryJsonl(text);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** For people: `[#17 process 3: cas "k" "a"→"b" ⇒ swapped]`. */
export function describeOperation(operation: Operation): string {
  const { id, process, op, key } = operation;
  let call = `#${id} process ${process}: ${op} ${JSON.stringify(key)}`;
  if (op === 'put') call += ` = ${describeValue(operation.value ?? null)}`;
  if (op === 'cas') call += ` ${describeValue(operation.expect ?? null)}→${describeValue(operation.value ?? null)}`;
  return `[${call} ⇒ ${describeOutcome(operation)}]`;
}

function describeOutcome({ status, op, result, swapped }: Operation): string {
  if (status === 'fail') return 'failed';
  if (status === 'info') return 'unknown';
  if (op === 'get') return describeValue(result ?? null);
  if (op === 'cas') return swapped ? 'swapped' : `not swapped, value ${describeValue(result ?? null)}`;
  return 'ok';
}

export function describeValue(value: string | null): string {
  return value === null ? 'absent' : JSON.stringify(value);
}
