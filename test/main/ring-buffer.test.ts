// RingBuffer: fixed capacity, oldest overwritten, reads in order, counts what was pushed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../../src/main/telemetry/ring-buffer.ts';

describe('RingBuffer', () => {
  it('keeps items oldest first until full', () => {
    const ring = new RingBuffer<number>(3);
    assert.equal(ring.push(1), undefined);
    ring.push(2);
    assert.deepEqual(ring.toArray(), [1, 2]);
    assert.equal(ring.size, 2);
    assert.equal(ring.at(0), 1);
    assert.equal(ring.last(), 2);
    assert.equal(ring.at(2), undefined);
  });

  it('overwrites the oldest once full and returns it', () => {
    const ring = new RingBuffer<number>(3);
    for (const n of [1, 2, 3]) ring.push(n);
    assert.equal(ring.push(4), 1);
    assert.equal(ring.push(5), 2);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
    assert.equal(ring.size, 3);
    assert.equal(ring.pushed, 5);
  });

  it('never holds more than its capacity, however much is pushed', () => {
    const ring = new RingBuffer<{ n: number }>(1000);
    for (let n = 0; n < 1_000_000; n++) ring.push({ n });
    assert.equal(ring.size, 1000);
    assert.equal(ring.toArray().length, 1000);
    assert.equal(ring.at(0)?.n, 999_000);
    assert.equal(ring.last()?.n, 999_999);
    assert.equal(ring.pushed, 1_000_000);
  });

  it('gives the newest items and those pushed since a count', () => {
    const ring = new RingBuffer<number>(4);
    for (const n of [1, 2, 3]) ring.push(n);
    const mark = ring.pushed;
    assert.deepEqual(ring.pushedSince(mark), []);
    for (const n of [4, 5]) ring.push(n);
    assert.deepEqual(ring.pushedSince(mark), [4, 5]);
    assert.deepEqual(ring.newest(3), [3, 4, 5]);
    assert.deepEqual(ring.newest(10), [2, 3, 4, 5]);
    for (const n of [6, 7, 8, 9, 10]) ring.push(n);
    assert.deepEqual(ring.pushedSince(mark), [7, 8, 9, 10], 'only what is still kept');
  });

  it('refuses a capacity below 1', () => {
    assert.throws(() => new RingBuffer(0), /capacity must be a whole number >= 1/);
    assert.throws(() => new RingBuffer(1.5), /capacity/);
  });
});
