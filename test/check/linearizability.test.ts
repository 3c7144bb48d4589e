// The checker on small hand-written histories, through checkHistory. Times are ms; `[start, end]`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHistory } from '../../src/main/check/check-history.ts';
import type { HistoryEvent } from '../../src/main/check/history.ts';
import { cas, del, get, history, put } from './build-history.ts';

describe('linearizable histories', () => {
  it('accepts a sequential history of every operation', () => {
    const result = checkHistory(
      history(
        get(1, 'k', null, [0, 1]),
        put(1, 'k', 'a', [2, 3]),
        get(2, 'k', 'a', [4, 5]),
        put(1, 'k', 'b', [6, 7]),
        get(2, 'k', 'b', [8, 9]),
        del(1, 'k', [10, 11]),
        get(2, 'k', null, [12, 13]),
        cas(1, 'k', null, 'c', [14, 15], { swapped: true, value: 'c' }),
        get(2, 'k', 'c', [16, 17]),
      ),
    );
    assert.equal(result.verdict, 'linearizable');
    assert.deepEqual(result.ops, { ok: 9, failed: 0, unknown: 0 });
    assert.equal(result.keys, 1);
    assert.deepEqual(result.anomalies, []);
    assert.equal(result.lostWrites, 0);
    assert.deepEqual(result.undecidedKeys, []);
  });

  it('accepts overlapping operations that some order explains', () => {
    // put b overlaps the first get, which saw a; both later gets must then see b.
    const result = checkHistory(
      history(
        put(1, 'k', 'a', [0, 10]),
        put(2, 'k', 'b', [2, 8]),
        get(3, 'k', 'a', [3, 9]),
        get(3, 'k', 'b', [11, 12]),
        get(1, 'k', 'b', [11, 13]),
      ),
    );
    assert.equal(result.verdict, 'linearizable');
  });

  it('accepts two reads concurrent with a write that see it in either order', () => {
    const result = checkHistory(
      history(
        put(1, 'k', 'a', [0, 1]),
        put(2, 'k', 'b', [2, 20]),
        get(3, 'k', 'b', [3, 5]),
        get(4, 'k', 'a', [4, 6]),
      ),
    );
    // get → b ends at 5 and get → a starts at 4: a can be read first, then b written and read.
    assert.equal(result.verdict, 'linearizable');
  });

  it('reads of one key are unaffected by writes to another', () => {
    const result = checkHistory(
      history(put(1, 'x', 'a', [0, 1]), get(2, 'y', null, [2, 3]), get(2, 'x', 'a', [4, 5])),
    );
    assert.equal(result.verdict, 'linearizable');
    assert.equal(result.keys, 2);
  });
});

describe('non-linearizable histories', () => {
  it('rejects a stale read after an acknowledged write', () => {
    const result = checkHistory(
      history(put(1, 'k', 'a', [0, 1]), put(1, 'k', 'b', [2, 3]), get(2, 'k', 'a', [4, 5])),
    );
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.anomalies.length, 1);
    const [anomaly] = result.anomalies;
    assert.equal(anomaly.key, 'k');
    assert.deepEqual(
      anomaly.ops.map((o) => [o.op, o.value ?? o.result]),
      [
        ['put', 'a'],
        ['put', 'b'],
        ['get', 'a'],
      ],
    );
    assert.match(anomaly.reason, /acknowledged write lost/);
  });

  it('rejects a read that misses an acknowledged write, counting it as lost', () => {
    const result = checkHistory(history(put(1, 'k', 'a', [0, 1]), get(2, 'k', null, [2, 3])));
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.lostWrites, 1);
    const [lost] = result.lostWriteDetails;
    assert.equal(lost.key, 'k');
    assert.equal(lost.write.value, 'a');
    assert.equal(lost.read.op, 'get');
    assert.equal(lost.observed, null);
    assert.equal(lost.observedWriter, null);
  });

  it('finds a violation that no single lost write shows', () => {
    // z's write spans the whole history, so no read proves a write lost; but z is read, then
    // absent, then z again: z would have to be written twice.
    const result = checkHistory(
      history(
        put(1, 'k', 'z', [0, 100]),
        del(2, 'k', [1, 2]),
        get(3, 'k', 'z', [101, 102]),
        get(3, 'k', null, [103, 104]),
        get(3, 'k', 'z', [105, 106]),
      ),
    );
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.lostWrites, 0);
    const [anomaly] = result.anomalies;
    assert.match(anomaly.reason, /cannot be linearized/);
    const stuck = anomaly.ops[anomaly.ops.length - 1];
    assert.equal(stuck.op, 'get');
    assert.ok(stuck.result === 'z' || stuck.result === null, 'the unplaceable op is one of the final reads');
  });

  it('flags only the key with the violation', () => {
    const result = checkHistory(
      history(
        put(1, 'a', 'a1', [0, 1]),
        put(1, 'a', 'a2', [2, 3]),
        get(2, 'a', 'a1', [4, 5]),
        put(1, 'b', 'b1', [6, 7]),
        get(2, 'b', 'b1', [8, 9]),
      ),
    );
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.keys, 2);
    assert.deepEqual(
      result.anomalies.map((a) => a.key),
      ['a'],
    );
  });
});

describe('cas', () => {
  it('accepts expect null on an absent key, and a refused cas reporting the current value', () => {
    const result = checkHistory(
      history(
        cas(1, 'k', null, 'a', [0, 1], { swapped: true, value: 'a' }),
        cas(2, 'k', null, 'b', [2, 3], { swapped: false, value: 'a' }),
        cas(1, 'k', 'a', 'c', [4, 5], { swapped: true, value: 'c' }),
        cas(2, 'k', 'a', 'd', [6, 7], { swapped: false, value: 'c' }),
        get(1, 'k', 'c', [8, 9]),
      ),
    );
    assert.equal(result.verdict, 'linearizable');
  });

  it('rejects a cas with expect null that swapped although the key existed', () => {
    const result = checkHistory(
      history(put(1, 'k', 'a', [0, 1]), cas(2, 'k', null, 'b', [2, 3], { swapped: true, value: 'b' })),
    );
    assert.equal(result.verdict, 'not-linearizable');
  });

  it('rejects a cas that swapped from a value the key did not hold', () => {
    const result = checkHistory(
      history(put(1, 'k', 'a', [0, 1]), cas(2, 'k', 'x', 'b', [2, 3], { swapped: true, value: 'b' })),
    );
    assert.equal(result.verdict, 'not-linearizable');
  });

  it('rejects a cas that refused although the key held the expected value', () => {
    const result = checkHistory(
      history(put(1, 'k', 'a', [0, 1]), cas(2, 'k', 'a', 'b', [2, 3], { swapped: false, value: 'a' })),
    );
    assert.equal(result.verdict, 'not-linearizable');
    assert.match(result.anomalies[0].reason, /reports no swap although the value after it is the expected one/);
  });

  it('rejects a cas that swapped but reports another value after it', () => {
    const result = checkHistory(history(cas(1, 'k', null, 'a', [0, 1], { swapped: true, value: 'zzz' })));
    assert.equal(result.verdict, 'not-linearizable');
    assert.match(result.anomalies[0].reason, /reports a swap/);
  });

  it('counts a swapped cas as an acknowledged write that can be lost', () => {
    const result = checkHistory(
      history(
        put(1, 'k', 'a', [0, 1]),
        cas(1, 'k', 'a', 'b', [2, 3], { swapped: true, value: 'b' }),
        get(2, 'k', 'a', [4, 5]),
      ),
    );
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.lostWrites, 1);
    assert.equal(result.lostWriteDetails[0].write.op, 'cas');
  });
});

describe('unknown and failed outcomes', () => {
  it('accepts an unknown-outcome write that appears later', () => {
    const result = checkHistory(
      history(put(1, 'k', 'a', [0, 1]), put(2, 'k', 'b', [2, 3], 'info'), get(3, 'k', 'a', [4, 5]), get(3, 'k', 'b', [10, 11])),
    );
    assert.equal(result.verdict, 'linearizable');
    assert.deepEqual(result.ops, { ok: 3, failed: 0, unknown: 1 });
  });

  it('accepts an unknown-outcome write that never appears', () => {
    const result = checkHistory(
      history(put(1, 'k', 'a', [0, 1]), put(2, 'k', 'b', [2, 3], 'info'), get(3, 'k', 'a', [10, 11])),
    );
    assert.equal(result.verdict, 'linearizable');
  });

  it('accepts an unknown-outcome cas that takes effect later', () => {
    const result = checkHistory(
      history(
        put(1, 'k', 'a', [0, 1]),
        cas(2, 'k', 'a', 'b', [2, 3], 'info'),
        get(3, 'k', 'a', [4, 5]),
        get(3, 'k', 'b', [6, 7]),
      ),
    );
    assert.equal(result.verdict, 'linearizable');
  });

  it('rejects an unknown-outcome write seen before it was invoked', () => {
    const result = checkHistory(history(get(1, 'k', 'b', [0, 1]), put(2, 'k', 'b', [5, 6], 'info')));
    assert.equal(result.verdict, 'not-linearizable');
  });

  it('treats an invocation the history ends without completing as unknown', () => {
    const events: HistoryEvent[] = [
      ...put(1, 'k', 'a', [0, 1]),
      { type: 'invoke', process: 2, op: 'put', key: 'k', value: 'b', time: 2 },
      ...get(3, 'k', 'b', [3, 4]),
    ];
    const result = checkHistory(events);
    assert.equal(result.verdict, 'linearizable');
    assert.deepEqual(result.ops, { ok: 2, failed: 0, unknown: 1 });
  });

  it('rejects the value of a failed write appearing', () => {
    const result = checkHistory(
      history(put(1, 'k', 'a', [0, 1]), put(2, 'k', 'b', [2, 3], 'fail'), get(3, 'k', 'b', [4, 5])),
    );
    assert.equal(result.verdict, 'not-linearizable');
    assert.deepEqual(result.ops, { ok: 2, failed: 1, unknown: 0 });
    const [anomaly] = result.anomalies;
    assert.match(anomaly.reason, /no acknowledged or unknown-outcome write/);
    assert.deepEqual(
      anomaly.ops.map((o) => [o.op, o.status]),
      [
        ['get', 'ok'],
        ['put', 'fail'],
      ],
    );
  });

  it('uses each unknown-outcome delete at most once, quickly, however many there are', () => {
    // 30 deletes of unknown outcome could each explain one absent read; 31 absent reads
    // separated by writes need 31. Trying every subset of the deletes would never finish.
    const deletes = Array.from({ length: 30 }, (_, i) => del(100 + i, 'k', [i, i + 1], 'info'));
    const rounds = Array.from({ length: 31 }, (_, i) => [
      put(1, 'k', `v${i}`, [50 + 4 * i, 51 + 4 * i]),
      get(2, 'k', null, [52 + 4 * i, 53 + 4 * i]),
    ]).flat();
    const tooMany = checkHistory(history(...deletes, ...rounds), { maxStepsPerKey: 200_000 });
    assert.equal(tooMany.verdict, 'not-linearizable');
    const enough = checkHistory(history(...deletes, ...rounds.slice(0, -2)), { maxStepsPerKey: 200_000 });
    assert.equal(enough.verdict, 'linearizable');
  });
});
