// Is one key's history linearizable, as a register (get / put / delete / cas)? The search is Wing &
// Gong's as improved by Lowe and used by Porcupine: calls and returns sit in a doubly linked list
// ordered by time; walking it, we linearize any call whose step the model allows and remove it
// from the list ("lift"), and on reaching the return of an operation not yet linearized we undo
// the last choice ("unlift", dancing-links style) and try the next call. A set of (linearized
// operations, register value) pairs already explored prunes repeated work.
//
// Operations with unknown outcome have no return: they may be linearized at any point after their
// call, or never. The search succeeds once every acknowledged operation is linearized.
import { describeOperation, describeValue } from './history.ts';
import type { Operation } from './history.ts';

export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown';

export interface SearchBudget {
  /** Search steps for this key; beyond them the verdict is 'unknown'. */
  maxSteps: number;
  /** performance.now() value after which the verdict is 'unknown'. */
  deadline: number;
}

export interface RegisterVerdict {
  verdict: Verdict;
  steps: number;
  /** When not linearizable: why, and the operations involved. */
  anomaly?: { reason: string; ops: Operation[] };
}

/** Register values are interned as small integers: "key absent", any value no operation reads, then the values. */
const ABSENT = 0;
const UNREAD = 1;
/** `requires`: any value. */
const ANY = -1;
/** `requires`: no value at all (the answer contradicts itself). */
const NEVER = -2;
/** `writes`: the value is unchanged. */
const KEEP = -1;
/** How many operations of the longest linearizable prefix an anomaly lists, and of those concurrent with the failure. */
const ANOMALY_CONTEXT = 10;

interface RegisterStep {
  operation: Operation;
  /** The value the register must hold for this operation to take effect, or ANY / NEVER. */
  requires: number;
  /** The value it leaves, or KEEP. */
  writes: number;
  /** Acknowledged, so it must be linearized; otherwise (unknown outcome) it may be left out. */
  definite: boolean;
}

class ValueIds {
  /** UNREAD stands for many values; it is only named in messages. */
  readonly values: (string | null)[] = [null, '(a value no operation reads)'];
  private readonly ids = new Map<string, number>();

  id(value: string | null): number {
    if (value === null) return ABSENT;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(value, id);
      this.values.push(value);
    }
    return id;
  }
}

/** Checks the operations of one key (any status; failed ones are ignored). */
export function checkRegister(operations: readonly Operation[], budget: SearchBudget): RegisterVerdict {
  const values = new ValueIds();
  const steps = operations.flatMap((operation) => toStep(operation, values) ?? []);
  const contradiction = findContradiction(steps, operations, values);
  if (contradiction) return { verdict: 'not-linearizable', steps: 0, anomaly: contradiction };
  if (performance.now() > budget.deadline) return { verdict: 'unknown', steps: 0 };

  const outcome = search(prepareForSearch(steps), budget);
  if (outcome.verdict !== 'not-linearizable') return { verdict: outcome.verdict, steps: outcome.steps };
  return { verdict: 'not-linearizable', steps: outcome.steps, anomaly: explain(outcome.deepest, values) };
}

function toStep(operation: Operation, values: ValueIds): RegisterStep | undefined {
  const { status } = operation;
  if (status === 'fail') return undefined;
  const definite = status === 'ok';
  const step = (requires: number, writes: number): RegisterStep => ({ operation, requires, writes, definite });
  const value = (v: string | null | undefined): number => values.id(v ?? null);
  switch (operation.op) {
    case 'get':
      // A read with unknown outcome tells nothing.
      return definite ? step(value(operation.result), KEEP) : undefined;
    case 'put':
      return step(ANY, value(operation.value));
    case 'delete':
      return step(ANY, ABSENT);
    case 'cas': {
      const expect = value(operation.expect);
      if (!definite) return step(expect, value(operation.value));
      if (operation.swapped) {
        return step(operation.result === operation.value ? expect : NEVER, value(operation.value));
      }
      return step(operation.result === operation.expect ? NEVER : value(operation.result), KEEP);
    }
  }
}

/** Answers no history could explain: a cas contradicting itself, or a value no write could have produced. */
function findContradiction(
  steps: readonly RegisterStep[],
  operations: readonly Operation[],
  values: ValueIds,
): RegisterVerdict['anomaly'] {
  const selfContradicting = steps.find((step) => step.requires === NEVER);
  if (selfContradicting) {
    const { operation } = selfContradicting;
    const why = operation.swapped
      ? 'reports a swap but a value after it other than the one it wrote'
      : 'reports no swap although the value after it is the expected one';
    return { reason: `${describeOperation(operation)} ${why}`, ops: [operation] };
  }
  const written = new Set(steps.map((step) => step.writes));
  const phantom = steps.find((step) => step.definite && step.requires > ABSENT && !written.has(step.requires));
  if (!phantom) return undefined;
  const value = values.values[phantom.requires];
  const failedWrites = operations.filter((o) => o.status === 'fail' && o.op !== 'get' && o.value === value);
  return {
    reason:
      `${describeOperation(phantom.operation)} saw ${describeValue(value)}, which no acknowledged or ` +
      `unknown-outcome write on this key wrote` +
      (failedWrites.length > 0 ? ` (${failedWrites.length} failed write(s) of it are listed)` : ''),
    ops: [phantom.operation, ...failedWrites],
  };
}

/**
 * Values no operation requires are all alike to the model, so they become one value, UNREAD.
 * After a write of it, only another write can follow; so an unknown-outcome write of it can be
 * left out without losing a linearization, and is dropped.
 */
function prepareForSearch(steps: readonly RegisterStep[]): { steps: RegisterStep[]; initial: number } {
  const required = new Set(steps.map((step) => step.requires));
  const read = (value: number): number => (required.has(value) ? value : UNREAD);
  const prepared = steps
    .filter((step) => step.definite || step.writes === KEEP || required.has(step.writes))
    .map((step) => (step.writes === KEEP ? step : { ...step, writes: read(step.writes) }));
  return { steps: prepared, initial: read(ABSENT) };
}

interface Deepest {
  /** Operations linearized, and the last of them in order. */
  depth: number;
  tail: Operation[];
  /** Not linearized, called before the stuck operation's return. */
  concurrent: Operation[];
  stuck: Operation;
  value: number;
}

type SearchOutcome =
  | { verdict: 'linearizable' | 'unknown'; steps: number }
  | { verdict: 'not-linearizable'; steps: number; deepest: Deepest };

function search(
  { steps, initial }: { steps: readonly RegisterStep[]; initial: number },
  budget: SearchBudget,
): SearchOutcome {
  // Entry 2i is the call of step i, 2i + 1 its return (acknowledged steps only); HEAD starts the list.
  const n = steps.length;
  const HEAD = 2 * n;
  const next = new Int32Array(2 * n + 1);
  const prev = new Int32Array(2 * n + 1);
  linkEntries(steps, next, prev, HEAD);

  // The linearized set: a bitset over acknowledged steps and one over unknown-outcome steps.
  const bit = new Int32Array(n);
  let definiteCount = 0;
  let unknownCount = 0;
  steps.forEach((step, i) => (bit[i] = step.definite ? definiteCount++ : unknownCount++));
  const definiteWords = new Uint32Array((definiteCount >>> 5) + 1);
  const unknownWords = new Uint32Array((unknownCount + 31) >>> 5);
  const isMarked = (i: number): boolean => {
    const words = steps[i].definite ? definiteWords : unknownWords;
    return (words[bit[i] >>> 5] & (1 << (bit[i] & 31))) !== 0;
  };
  const twin = earlierTwins(steps);
  let lowWord = 0; // every acknowledged word below it is full
  let highWord = -1; // no acknowledged word above it has a bit set
  let linearized = 0; // acknowledged steps linearized

  // The set of explored (linearized set, value) pairs, keyed compactly: the search linearizes
  // roughly in time order, so the acknowledged bitset is full up to a short window.
  const explored = new Set<string>();
  const exploredKey = (value: number): string => {
    let key = String.fromCharCode(value & 0xffff, value >>> 16, lowWord & 0xffff, lowWord >>> 16);
    for (let w = lowWord; w <= highWord; w++) key += String.fromCharCode(definiteWords[w] & 0xffff, definiteWords[w] >>> 16);
    for (let w = 0; w < unknownWords.length; w++) key += String.fromCharCode(unknownWords[w] & 0xffff, unknownWords[w] >>> 16);
    return key;
  };
  const mark = (i: number): void => {
    const b = bit[i];
    if (!steps[i].definite) {
      unknownWords[b >>> 5] |= 1 << (b & 31);
      return;
    }
    const w = b >>> 5;
    definiteWords[w] |= 1 << (b & 31);
    if (w > highWord) highWord = w;
    while (definiteWords[lowWord] === 0xffffffff) lowWord++;
    linearized++;
  };
  const unmark = (i: number, highBefore: number): void => {
    const b = bit[i];
    if (!steps[i].definite) {
      unknownWords[b >>> 5] &= ~(1 << (b & 31));
      return;
    }
    const w = b >>> 5;
    definiteWords[w] &= ~(1 << (b & 31));
    if (w < lowWord) lowWord = w;
    highWord = highBefore;
    linearized--;
  };
  const lift = (i: number): void => {
    unlink(2 * i, next, prev);
    if (steps[i].definite) unlink(2 * i + 1, next, prev);
  };
  const unlift = (i: number): void => {
    if (steps[i].definite) relink(2 * i + 1, next, prev);
    relink(2 * i, next, prev);
  };

  // The choices made so far: step, register value before it, highWord before it.
  const chosen = new Int32Array(n);
  const valueBefore = new Int32Array(n);
  const highBefore = new Int32Array(n);
  let depth = 0;
  let value = initial;
  let deepest: Deepest | undefined;
  let count = 0;
  // A step that reads only, or writes UNREAD over UNREAD, can come first in any linearization
  // from a point where it is callable and allowed (it changes nothing, wherever it is moved). So
  // each point starts with such a step if there is one, and if what follows it fails, the point
  // fails: no other choice there is tried.
  const movable = (i: number, before: number): boolean =>
    steps[i].writes === KEEP || (steps[i].writes === UNREAD && before === UNREAD);
  const firstChoice = (): number => {
    for (let e = next[HEAD]; e !== -1 && (e & 1) === 0; e = next[e]) {
      const { requires } = steps[e >> 1];
      if ((requires === ANY || requires === value) && movable(e >> 1, value)) return e;
    }
    return next[HEAD];
  };
  let entry = firstChoice();
  while (linearized < definiteCount) {
    count++;
    if (count > budget.maxSteps || ((count & 1023) === 0 && performance.now() > budget.deadline)) {
      return { verdict: 'unknown', steps: count };
    }
    if ((entry & 1) === 0) {
      const i = entry >> 1;
      const step = steps[i];
      const allowed = step.requires === ANY || step.requires === value;
      const after = step.writes === KEEP ? value : step.writes;
      // An unknown-outcome step that changes nothing is the same as leaving it out; one whose
      // earlier twin is unused could be replaced by that twin.
      const useful = step.definite || (after !== value && (twin[i] === -1 || isMarked(twin[i])));
      if (allowed && useful) {
        const high = highWord;
        mark(i);
        const key = exploredKey(after);
        if (!explored.has(key)) {
          explored.add(key);
          chosen[depth] = i;
          valueBefore[depth] = value;
          highBefore[depth] = high;
          depth++;
          value = after;
          lift(i);
          entry = firstChoice();
          continue;
        }
        unmark(i, high);
      }
      entry = next[entry];
    } else {
      // The return of an acknowledged step not yet linearized: undo the last choice (and the one
      // before it, while the undone choice was a movable step).
      if (!deepest || depth > deepest.depth) deepest = describeDeepest(entry >> 1);
      let i: number;
      let wasMovable: boolean;
      do {
        if (depth === 0) return { verdict: 'not-linearizable', steps: count, deepest };
        depth--;
        i = chosen[depth];
        wasMovable = movable(i, valueBefore[depth]);
        value = valueBefore[depth];
        unmark(i, highBefore[depth]);
        unlift(i);
      } while (wasMovable);
      entry = next[2 * i];
    }
  }
  return { verdict: 'linearizable', steps: count };

  function describeDeepest(stuck: number): Deepest {
    const tail = Array.from(chosen.subarray(Math.max(0, depth - ANOMALY_CONTEXT), depth), (i) => steps[i].operation);
    const concurrent: Operation[] = [];
    for (let e = next[HEAD]; e !== 2 * stuck + 1 && concurrent.length < ANOMALY_CONTEXT; e = next[e]) {
      if (e !== 2 * stuck) concurrent.push(steps[e >> 1].operation);
    }
    return { depth, tail, concurrent, stuck: steps[stuck].operation, value };
  }
}

/**
 * For each unknown-outcome step, the previous one (by invocation) with the same effect, or -1.
 * Either could stand in for the other, except that the earlier one may be placed earlier; so only
 * the earliest unused twin needs trying, which spares the search every subset of them.
 */
function earlierTwins(steps: readonly RegisterStep[]): Int32Array {
  const twin = new Int32Array(steps.length).fill(-1);
  const lastWithEffect = new Map<string, number>();
  const byInvocation = steps.map((_, i) => i);
  byInvocation.sort((a, b) => steps[a].operation.invokeTime - steps[b].operation.invokeTime || a - b);
  for (const i of byInvocation) {
    const { definite, requires, writes } = steps[i];
    if (definite) continue;
    const effect = `${requires} ${writes}`;
    twin[i] = lastWithEffect.get(effect) ?? -1;
    lastWithEffect.set(effect, i);
  }
  return twin;
}

/** Links every call and return in time order; at equal times calls come first (so they overlap). */
function linkEntries(steps: readonly RegisterStep[], next: Int32Array, prev: Int32Array, head: number): void {
  const entries: number[] = [];
  steps.forEach((step, i) => {
    entries.push(2 * i);
    if (step.definite) entries.push(2 * i + 1);
  });
  const time = (e: number): number => {
    const { operation } = steps[e >> 1];
    return e & 1 ? (operation.completeTime as number) : operation.invokeTime;
  };
  entries.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
  let last = head;
  for (const e of entries) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = -1;
}

function unlink(e: number, next: Int32Array, prev: Int32Array): void {
  next[prev[e]] = next[e];
  if (next[e] !== -1) prev[next[e]] = prev[e];
}

/** Undoes unlink(e); links must be restored in the reverse order they were removed. */
function relink(e: number, next: Int32Array, prev: Int32Array): void {
  next[prev[e]] = e;
  if (next[e] !== -1) prev[next[e]] = e;
}

function explain(deepest: Deepest, values: ValueIds): { reason: string; ops: Operation[] } {
  const { depth, tail, concurrent, stuck, value } = deepest;
  const reason =
    `${describeOperation(stuck)} cannot be linearized: the longest linearizable prefix orders ${depth} ` +
    `operation(s) and leaves the key ${describeValue(values.values[value])}. Listed: the last ${tail.length} ` +
    `of that prefix in order, then ${concurrent.length} concurrent operation(s) outside it, then the ` +
    `one that cannot be placed`;
  return { reason, ops: [...tail, ...concurrent, stuck] };
}
