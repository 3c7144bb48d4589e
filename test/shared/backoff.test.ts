// Reconnect delays, shared by the console's admin clients and raft-node's peer links.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../src/shared/backoff.ts';

describe('Backoff', () => {
  it('doubles up to the cap, with jitter below the base, and starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 0.5 }, () => 0);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => backoff.next()), [100, 200, 400, 800, 1_000, 1_000]);
    backoff.reset();
    assert.equal(backoff.next(), 100);
    const jittered = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 0.5 }, () => 1);
    assert.equal(jittered.next(), 50);
    assert.throws(() => new Backoff({ initialMs: 0, maxMs: 1, jitter: 0 }), /invalid backoff/);
  });

  it('jumps to the cap after a refusal, and starts over after reset', () => {
    for (const [initialMs, maxMs] of [[50, 2_000], [100, 1_000], [100, 100]] as const) {
      const backoff = new Backoff({ initialMs, maxMs, jitter: 0.5 }, () => 0);
      backoff.slowest();
      assert.deepEqual([backoff.next(), backoff.next()], [maxMs, maxMs]);
      backoff.reset();
      assert.equal(backoff.next(), initialMs);
    }
  });
});
