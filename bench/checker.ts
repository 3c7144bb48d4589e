// Speed of the history checker (lost writes + linearizability) on histories from a real sequential
// register with random overlap. Reports operations checked per second, median of the runs.
// Run: node --import tsx bench/checker.ts [--runs 7]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkHistory, checkHistoryFile } from '../src/main/check/check-history.ts';
import type { CheckResult } from '../src/main/check/check-history.ts';
import { formatHistoryJsonl } from '../src/main/check/history.ts';
import type { HistoryEvent } from '../src/main/check/history.ts';
import { randomRegisterHistory } from '../test/check/random-history.ts';
import type { RandomHistoryOptions } from '../test/check/random-history.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

interface Scenario {
  name: string;
  history: Omit<RandomHistoryOptions, 'seed'>;
  /** Turns the history into a non-linearizable one. */
  spoil?: (events: HistoryEvent[]) => HistoryEvent[];
}

const scenarios: Scenario[] = [
  { name: '5 keys x 2000 ops, 8 processes', history: { processes: 8, keys: 5, operations: 10_000 } },
  {
    name: '5 keys x 2000 ops, 8 processes, 5% unknown + 5% failed',
    history: { processes: 8, keys: 5, operations: 10_000, unknownRate: 0.05, failRate: 0.05 },
  },
  { name: '1 key x 2000 ops, 8 processes', history: { processes: 8, keys: 1, operations: 2_000 } },
  { name: '1 key x 2000 ops, 16 processes', history: { processes: 16, keys: 1, operations: 2_000 } },
  {
    name: '5 keys x 2000 ops, 8 processes, one stale read',
    history: { processes: 8, keys: 5, operations: 10_000 },
    spoil: staleReadAtTheEnd,
  },
];

const dir = mkdtempSync(join(tmpdir(), 'checker-bench-'));
try {
  console.log(`runs: ${runs} (median shown)\n`);
  for (const scenario of scenarios) await runScenario(scenario);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function runScenario({ name, history, spoil }: Scenario): Promise<void> {
  const inMemory: number[] = [];
  const fromFile: number[] = [];
  let result: CheckResult | undefined;
  // One untimed run first, so the numbers show the compiled code rather than the JIT warming up.
  checkHistory(randomRegisterHistory({ seed: 1_000, ...history }));
  for (let run = 0; run < runs; run++) {
    let events = randomRegisterHistory({ seed: run + 1, ...history });
    if (spoil) events = spoil(events);
    const file = join(dir, `history-${run}.jsonl`);
    writeFileSync(file, formatHistoryJsonl(events));
    let start = performance.now();
    result = checkHistory(events);
    inMemory.push(performance.now() - start);
    start = performance.now();
    await checkHistoryFile(file);
    fromFile.push(performance.now() - start);
  }
  const total = history.operations;
  const checkMs = median(inMemory);
  const fileMs = median(fromFile);
  console.log(name);
  console.log(`  verdict ${result?.verdict}, lost writes ${result?.lostWrites}, ops ${JSON.stringify(result?.ops)}`);
  console.log(`  check:          ${checkMs.toFixed(1)} ms  ${Math.round((total / checkMs) * 1000)} ops/s`);
  console.log(`  parse + check:  ${fileMs.toFixed(1)} ms  ${Math.round((total / fileMs) * 1000)} ops/s\n`);
}

/** A last get on the busiest key that returns the first value ever written to it. */
function staleReadAtTheEnd(events: HistoryEvent[]): HistoryEvent[] {
  const firstPut = events.find((e) => e.type === 'invoke' && e.op === 'put');
  if (!firstPut || firstPut.type !== 'invoke' || firstPut.op !== 'put') throw new Error('history has no put');
  const end = events[events.length - 1].time;
  const process = 1_000;
  return [
    ...events,
    { type: 'invoke', process, op: 'get', key: firstPut.key, time: end + 1 },
    { type: 'ok', process, op: 'get', key: firstPut.key, value: firstPut.value, time: end + 2 },
  ];
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
