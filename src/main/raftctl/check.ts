// `check HISTORY.jsonl`: the linearizability and lost-write verdict on a recorded history.
import { stat } from 'node:fs/promises';
import { checkHistoryFile, type CheckResult } from '../check/check-history.ts';
import { describeOperation } from '../check/history.ts';
import { CommandError, type Command } from './command.ts';
import type { Output } from './output.ts';

export const checkCommand: Command = {
  name: 'check',
  operands: 'HISTORY.jsonl',
  operandCount: [1, 1],
  summary: 'check a recorded key-value history: verdict, ops, anomalies',
  details: [
    'The file holds one event per line (invoke, then ok, fail or info); see docs/history-check.md.',
    'Exits 0 when linearizable, 1 when not, 2 when undecided or the file is unreadable or malformed.',
  ],
  reachesCluster: false,
  async run({ operands, out }) {
    const path = operands[0];
    await mustBeFile(path);
    let result: CheckResult;
    try {
      result = await checkHistoryFile(path);
    } catch (error) {
      throw new CommandError((error as Error).message, 2);
    }
    if (out.json) out.data(result);
    else printResult(out, result);
    if (result.verdict === 'not-linearizable') {
      throw new CommandError(`not linearizable: ${count(result.anomalies.length, 'anomaly', 'anomalies')}, ${count(result.lostWrites, 'lost write', 'lost writes')}`, 1);
    }
    if (result.verdict === 'unknown') {
      throw new CommandError(`undecided: the search ran out of budget on ${count(result.undecidedKeys.length, 'key', 'keys')}`, 2);
    }
    return 0;
  },
};

function printResult(out: Output, result: CheckResult): void {
  const { ok, failed, unknown } = result.ops;
  out.line(`verdict: ${result.verdict}`);
  out.line(`ops: ${ok} ok, ${failed} failed, ${unknown} unknown, over ${count(result.keys, 'key', 'keys')}`);
  out.line(`lost writes: ${result.lostWrites}`);
  for (const anomaly of result.anomalies) {
    out.line(`anomaly on key ${JSON.stringify(anomaly.key)}: ${anomaly.reason}`);
    for (const operation of anomaly.ops) out.line(`  ${describeOperation(operation)}`);
  }
  if (result.undecidedKeys.length > 0) out.line(`undecided keys: ${result.undecidedKeys.map((k) => JSON.stringify(k)).join(', ')}`);
}

async function mustBeFile(path: string): Promise<void> {
  try {
    if (!(await stat(path)).isFile()) throw new CommandError(`${path} is not a file`, 2);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandError(code === 'ENOENT' ? `history file ${path} does not exist` : `cannot read ${path}: ${(error as Error).message}`, 2);
  }
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
