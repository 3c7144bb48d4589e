// The randomized simulator as a test: a few hundred seeds of 3 and 5 nodes under crashes,
// partitions, lossy networks, membership churn and transfers, with zero violations allowed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSeed, sumStats, ZERO_STATS, type RunResult } from '../sim/runner.ts';

function report(r: RunResult): string {
  return `seed ${r.seed}: ${r.violation?.invariant}: ${r.violation?.detail}\n${r.trace.join('\n')}`;
}

function runMany(nodes: number, firstSeed: number, seeds: number, steps: number): void {
  let total = ZERO_STATS;
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const r = runSeed({ seed, steps, nodes });
    assert.equal(r.violation, undefined, report(r));
    total = sumStats(total, r.stats);
  }
  assert.ok(total.elections > seeds, `elections: ${total.elections}`);
  assert.ok(total.commits > seeds * 10, `commits: ${total.commits}`);
  assert.ok(total.snapshots > 0, `snapshots installed: ${total.snapshots}`);
  assert.ok(total.confChanges > 0, `membership changes: ${total.confChanges}`);
  assert.ok(total.transfers > 0, `leadership transfers: ${total.transfers}`);
  assert.ok(total.crashes > 0, `crashes: ${total.crashes}`);
}

test('randomized runs, 3 nodes', () => {
  runMany(3, 1, 200, 500);
});

test('randomized runs, 5 nodes', () => {
  runMany(5, 1001, 120, 500);
});

test('a seed replays exactly', () => {
  const run = (seed: number) => runSeed({ seed, steps: 400, nodes: 5, traceCapacity: Infinity });
  const first = run(7);
  const again = run(7);
  assert.ok(first.trace.length > 1000);
  assert.deepEqual(again.trace, first.trace);
  assert.deepEqual(again.stats, first.stats);
  assert.notDeepEqual(run(8).trace, first.trace);
});
