// The lost-write definition (see src/main/check/lost-writes.ts), case by case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryEvent } from '../../src/main/check/history.ts';
import { pairOperations } from '../../src/main/check/history.ts';
import { findLostWrites } from '../../src/main/check/lost-writes.ts';
import { cas, del, get, history, put } from './build-history.ts';

const lostValues = (events: HistoryEvent[]): (string | undefined)[] =>
  findLostWrites(pairOperations(events)).map((lost) => lost.write.value);

describe('findLostWrites', () => {
  it('counts each lost write once, with the first read that shows it', () => {
    const lost = findLostWrites(
      pairOperations(
        history(
          put(1, 'k', 'a', [0, 1]),
          put(1, 'k', 'b', [2, 3]),
          get(2, 'k', null, [4, 5]),
          get(2, 'k', null, [6, 7]),
        ),
      ),
    );
    assert.deepEqual(
      lost.map((l) => [l.write.value, l.read.id]),
      [
        ['a', 2],
        ['b', 2],
      ],
    );
  });

  it('ignores a read that began before the write was acknowledged', () => {
    assert.deepEqual(lostValues(history(put(1, 'k', 'a', [0, 5]), get(2, 'k', null, [4, 6]))), []);
  });

  it('ignores an older value whose write overlapped the newer one', () => {
    // a and b were concurrent, so b may have come first and a overwritten it.
    assert.deepEqual(
      lostValues(history(put(1, 'k', 'a', [0, 4]), put(2, 'k', 'b', [2, 3]), get(3, 'k', 'a', [5, 6]))),
      [],
    );
  });

  it('lets a delete that may follow the write explain an absent read', () => {
    const concurrentDelete = history(put(1, 'k', 'a', [0, 2]), del(2, 'k', [1, 3]), get(3, 'k', null, [4, 5]));
    assert.deepEqual(lostValues(concurrentDelete), []);
    const earlierDelete = history(del(2, 'k', [0, 1]), put(1, 'k', 'a', [2, 3]), get(3, 'k', null, [4, 5]));
    assert.deepEqual(lostValues(earlierDelete), ['a']);
  });

  it('lets an unknown-outcome delete or write explain what a read saw', () => {
    const unknownDelete = history(del(2, 'k', [0, 1], 'info'), put(1, 'k', 'a', [2, 3]), get(3, 'k', null, [4, 5]));
    assert.deepEqual(lostValues(unknownDelete), []);
    const unknownWrite = history(put(2, 'k', 'a', [0, 1], 'info'), put(1, 'k', 'b', [2, 3]), get(3, 'k', 'a', [4, 5]));
    assert.deepEqual(lostValues(unknownWrite), []);
  });

  it('does not let a failed delete explain an absent read', () => {
    const failedDelete = history(put(1, 'k', 'a', [0, 1]), del(2, 'k', [2, 3], 'fail'), get(3, 'k', null, [4, 5]));
    assert.deepEqual(lostValues(failedDelete), ['a']);
  });

  it('treats a cas as a read of what it saw', () => {
    const swapped = history(
      put(1, 'k', 'a', [0, 1]),
      put(1, 'k', 'b', [2, 3]),
      cas(2, 'k', 'a', 'c', [4, 5], { swapped: true, value: 'c' }),
    );
    assert.deepEqual(lostValues(swapped), ['b']);
    const refused = history(
      put(1, 'k', 'a', [0, 1]),
      put(1, 'k', 'b', [2, 3]),
      cas(2, 'k', 'x', 'c', [4, 5], { swapped: false, value: 'a' }),
    );
    assert.deepEqual(lostValues(refused), ['b']);
  });

  it('leaves a value nobody wrote to the linearizability check', () => {
    assert.deepEqual(lostValues(history(put(1, 'k', 'a', [0, 1]), get(2, 'k', 'ghost', [2, 3]))), []);
  });
});
