// The checker on generated histories: large ones from a real register (always linearizable),
// small ones cross-checked against a brute-force search, and the budget that keeps it from hanging.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHistory } from '../../src/main/check/check-history.ts';
import { pairOperations } from '../../src/main/check/history.ts';
import type { HistoryEvent, Operation } from '../../src/main/check/history.ts';
import { checkRegister } from '../../src/main/check/linearizability.ts';
import { findLostWrites } from '../../src/main/check/lost-writes.ts';
import { get, history, put } from './build-history.ts';
import { randomRegisterHistory } from './random-history.ts';

describe('large generated histories', () => {
  it('accepts 5 keys x 2000 operations from 8 processes within a small step budget', () => {
    const events = randomRegisterHistory({ seed: 7, processes: 8, keys: 5, operations: 10_000, unknownRate: 0.03, failRate: 0.03 });
    // About 5 search steps per operation are typical; the budget leaves room but no hiding place.
    const result = checkHistory(events, { maxStepsPerKey: 50_000 });
    assert.equal(result.verdict, 'linearizable');
    assert.equal(result.keys, 5);
    assert.equal(result.ops.ok + result.ops.failed + result.ops.unknown, 10_000);
    assert.equal(result.lostWrites, 0);
  });

  it('accepts 2000 operations of 16 processes on one key', () => {
    const events = randomRegisterHistory({ seed: 3, processes: 16, keys: 1, operations: 2_000 });
    assert.equal(checkHistory(events, { maxStepsPerKey: 2_000_000 }).verdict, 'linearizable');
  });

  it('finds one stale read among 10000 operations', () => {
    const events = randomRegisterHistory({ seed: 8, processes: 8, keys: 5, operations: 10_000 });
    const firstPut = events.find((e) => e.type === 'invoke' && e.op === 'put');
    assert.ok(firstPut && firstPut.type === 'invoke' && firstPut.op === 'put');
    const end = events[events.length - 1].time;
    const result = checkHistory([...events, ...get(99, firstPut.key, firstPut.value, [end + 1, end + 2])]);
    assert.equal(result.verdict, 'not-linearizable');
    assert.deepEqual(
      result.anomalies.map((a) => a.key),
      [firstPut.key],
    );
    assert.ok(result.lostWrites > 0);
  });
});

describe('agreement with a brute-force search', () => {
  it('gives the brute-force verdict on 1500 small histories, half of them corrupted', () => {
    let nonLinearizable = 0;
    for (let seed = 1; seed <= 1500; seed++) {
      const operations = pairOperations(
        randomRegisterHistory({ seed, processes: 2 + (seed % 4), keys: 1, operations: 4 + (seed % 7), unknownRate: 0.15, failRate: 0.1 }),
      );
      if (seed % 2 === 0) corrupt(operations, seed);
      const expected = bruteForceLinearizable(operations);
      if (!expected) nonLinearizable++;
      const { verdict } = checkRegister(operations, { maxSteps: 1_000_000, deadline: Infinity });
      assert.equal(verdict, expected ? 'linearizable' : 'not-linearizable', `seed ${seed}`);
      if (expected) assert.deepEqual(findLostWrites(operations), [], `seed ${seed}: lost writes in a linearizable history`);
    }
    assert.ok(nonLinearizable > 200, `only ${nonLinearizable} corrupted histories were non-linearizable`);
  });
});

describe('budget', () => {
  // n concurrent writes, then reads of each value in turn, then the first again: every order of
  // the writes must be tried before the search can say no.
  const hardHistory = (n: number): HistoryEvent[] =>
    history(
      ...Array.from({ length: n }, (_, i) => put(i, 'k', `v${i}`, [0, 10])),
      ...Array.from({ length: n }, (_, i) => get(99, 'k', `v${i}`, [20 + 2 * i, 21 + 2 * i])),
      get(99, 'k', 'v0', [20 + 2 * n, 21 + 2 * n]),
    );

  it('decides a small hard history', () => {
    assert.equal(checkHistory(hardHistory(6)).verdict, 'not-linearizable');
  });

  it("answers 'unknown' when the step budget runs out", () => {
    const result = checkHistory(hardHistory(24), { maxStepsPerKey: 20_000 });
    assert.equal(result.verdict, 'unknown');
    assert.deepEqual(result.undecidedKeys, ['k']);
    assert.deepEqual(result.anomalies, []);
  });

  it("answers 'unknown' when the time limit has passed", () => {
    const result = checkHistory(history(put(1, 'k', 'a', [0, 1]), get(2, 'k', 'a', [2, 3])), { timeLimitMs: 0 });
    assert.equal(result.verdict, 'unknown');
  });

  it('still reports a violation found cheaply when the budget is gone', () => {
    const result = checkHistory(
      history(put(1, 'k', 'a', [0, 1]), get(2, 'k', null, [2, 3]), put(1, 'j', 'b', [0, 1]), get(2, 'j', 'b', [2, 3])),
      { timeLimitMs: 0 },
    );
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.lostWrites, 1);
    assert.deepEqual(result.undecidedKeys, ['j']);
  });
});

/** Changes a few acknowledged answers at random (deterministically from the seed). */
function corrupt(operations: Operation[], seed: number): void {
  const values = [null, ...operations.flatMap((o) => (o.value === undefined ? [] : [o.value]))];
  const pick = <T>(list: readonly T[], salt: number): T => list[(seed * 7919 + salt * 104729) % list.length];
  for (let salt = 0; salt < 2; salt++) {
    const operation = pick(operations, salt);
    if (operation.status !== 'ok') continue;
    if (operation.op === 'get') operation.result = pick(values, salt + 5);
    if (operation.op === 'put') operation.value = `corrupt-${seed}`;
    if (operation.op === 'cas') {
      operation.swapped = !operation.swapped;
      operation.result = operation.swapped ? operation.value : pick(values, salt + 9);
    }
  }
}

/** Tries every order of the operations that respects real time; unknown outcomes may be left out. */
function bruteForceLinearizable(operations: readonly Operation[]): boolean {
  const candidates = operations.filter((o) => o.status === 'ok' || (o.status === 'info' && o.op !== 'get'));
  const end = (o: Operation): number => (o.status === 'ok' ? (o.completeTime as number) : Infinity);
  const used = candidates.map(() => false);
  const extend = (value: string | null, acknowledgedLeft: number): boolean => {
    if (acknowledgedLeft === 0) return true;
    return candidates.some((o, i) => {
      if (used[i]) return false;
      const mustComeFirst = candidates.some((x, j) => !used[j] && j !== i && end(x) < o.invokeTime);
      if (mustComeFirst) return false;
      const after = apply(o, value);
      if (after === undefined) return false;
      used[i] = true;
      const found = extend(after, acknowledgedLeft - (o.status === 'ok' ? 1 : 0));
      used[i] = false;
      return found;
    });
  };
  return extend(null, candidates.filter((o) => o.status === 'ok').length);
}

/** The register after `o`, or undefined if `o` cannot happen when it holds `value`. */
function apply(o: Operation, value: string | null): string | null | undefined {
  const unknown = o.status === 'info';
  switch (o.op) {
    case 'get':
      return o.result === value ? value : undefined;
    case 'put':
      return o.value as string;
    case 'delete':
      return null;
    case 'cas':
      if (unknown) return o.expect === value ? (o.value as string) : undefined;
      if (o.swapped) return o.expect === value && o.result === o.value ? (o.value as string) : undefined;
      return o.expect !== value && o.result === value ? value : undefined;
  }
}
