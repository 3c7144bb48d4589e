// The verdict on a whole key-value history: each key is an independent register, checked for
// lost writes and for linearizability. `raftctl check` and the drills report this.
import { describeOperation, describeValue, pairOperations, readHistoryFile } from './history.ts';
import type { HistoryEvent, Operation } from './history.ts';
import { checkRegister } from './linearizability.ts';
import type { Verdict } from './linearizability.ts';
import { findLostWrites } from './lost-writes.ts';
import type { LostWrite } from './lost-writes.ts';

export interface Anomaly {
  key: string;
  reason: string;
  /** The operations that show it. */
  ops: Operation[];
}

export interface CheckResult {
  /** not-linearizable if any key is; otherwise unknown if any key ran out of budget. */
  verdict: Verdict;
  keys: number;
  ops: { ok: number; failed: number; unknown: number };
  /** One per key that is not linearizable. */
  anomalies: Anomaly[];
  lostWrites: number;
  lostWriteDetails: LostWrite[];
  /** Keys whose search ran out of steps or time. */
  undecidedKeys: string[];
}

export interface CheckOptions {
  /** Search steps allowed per key. */
  maxStepsPerKey?: number;
  /** Time allowed for the whole check; keys not decided by then are undecided. */
  timeLimitMs?: number;
}

const DEFAULT_MAX_STEPS_PER_KEY = 2_000_000;
const DEFAULT_TIME_LIMIT_MS = 30_000;

export function checkHistory(events: readonly HistoryEvent[], options: CheckOptions = {}): CheckResult {
  const operations = pairOperations(events);
  const budget = {
    maxSteps: options.maxStepsPerKey ?? DEFAULT_MAX_STEPS_PER_KEY,
    deadline: performance.now() + (options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS),
  };
  const anomalies: Anomaly[] = [];
  const lostWriteDetails: LostWrite[] = [];
  const undecidedKeys: string[] = [];
  const byKey = groupByKey(operations);
  for (const [key, keyOperations] of byKey) {
    const lost = findLostWrites(keyOperations);
    lostWriteDetails.push(...lost);
    if (lost.length > 0) {
      anomalies.push(lostWriteAnomaly(lost[0]));
      continue;
    }
    const { verdict, anomaly } = checkRegister(keyOperations, budget);
    if (anomaly) anomalies.push({ key, ...anomaly });
    if (verdict === 'unknown') undecidedKeys.push(key);
  }
  const verdict: Verdict =
    anomalies.length > 0 ? 'not-linearizable' : undecidedKeys.length > 0 ? 'unknown' : 'linearizable';
  return {
    verdict,
    keys: byKey.size,
    ops: {
      ok: operations.filter((o) => o.status === 'ok').length,
      failed: operations.filter((o) => o.status === 'fail').length,
      unknown: operations.filter((o) => o.status === 'info').length,
    },
    anomalies,
    lostWrites: lostWriteDetails.length,
    lostWriteDetails,
    undecidedKeys,
  };
}

/** What `raftctl check HISTORY.jsonl` runs. Throws, naming the line, on a malformed history. */
export async function checkHistoryFile(path: string, options: CheckOptions = {}): Promise<CheckResult> {
  return checkHistory(await readHistoryFile(path), options);
}

function groupByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const operation of operations) {
    const list = byKey.get(operation.key);
    if (list) list.push(operation);
    else byKey.set(operation.key, [operation]);
  }
  return byKey;
}

function lostWriteAnomaly({ key, write, read, observed, observedWriter }: LostWrite): Anomaly {
  const source = observedWriter
    ? `left by ${describeOperation(observedWriter)}, which completed before the write began`
    : 'as at the start, and no delete could explain it';
  return {
    key,
    reason:
      `acknowledged write lost: ${describeOperation(write)} completed before ${describeOperation(read)} ` +
      `began, yet that read saw ${describeValue(observed)}, ${source}`,
    ops: observedWriter ? [observedWriter, write, read] : [write, read],
  };
}
