// Acknowledged writes whose effect vanished.
//
// The workload writes unique values. An acknowledged write W (a put, or a cas that swapped) of key
// K is lost when some read R of K began after W was acknowledged and saw a state that only
// operations finished before W began could have produced:
//   - a value every writer of which (acknowledged, or with unknown outcome, which counts as never
//     finishing) completed before W was invoked, or
//   - absent, when every delete of K (acknowledged or unknown) completed before W was invoked.
// Writers and deletes invoked after R completed cannot explain R and are ignored. A read is an
// acknowledged get (the value it returned) or cas (the expected value if it swapped, the value
// after it if not). No write came between W and R that could restore the state R saw, so W was
// overwritten by nothing: a lost write makes the history non-linearizable. A stale read therefore
// counts as a lost write too. Each lost write is counted once, with the first read that shows it.
import type { Operation } from './history.ts';

export interface LostWrite {
  key: string;
  /** The acknowledged write whose effect vanished. */
  write: Operation;
  /** The first read that shows it. */
  read: Operation;
  /** What that read saw. */
  observed: string | null;
  /** The operation that could have left that state, the last to complete; null for the empty start. */
  observedWriter: Operation | null;
}

/** The lost writes among the operations of one key. */
export function findLostWrites(operations: readonly Operation[]): LostWrite[] {
  const writes = operations.filter(isAcknowledgedWrite).sort((a, b) => a.invokeTime - b.invokeTime);
  const writers = writersByValue(operations);
  const reads = operations.filter((o) => o.status === 'ok' && (o.op === 'get' || o.op === 'cas'));
  reads.sort((a, b) => a.invokeTime - b.invokeTime);
  const lost = new Map<number, LostWrite>();
  for (const read of reads) {
    const observed = observedBy(read);
    const readEnd = read.completeTime as number;
    // The latest moment a write that could explain the read may have taken effect.
    let horizon = -Infinity;
    let observedWriter: Operation | null = null;
    for (const writer of writers.get(observed) ?? []) {
      if (writer.invokeTime > readEnd) continue;
      const end = writer.status === 'ok' ? (writer.completeTime as number) : Infinity;
      if (end >= horizon) {
        horizon = end;
        observedWriter = writer;
      }
    }
    // A value nobody wrote is not a lost write; the linearizability check reports it.
    if (observed !== null && observedWriter === null) continue;
    for (let i = firstInvokedAfter(writes, horizon); i < writes.length; i++) {
      const write = writes[i];
      if (write.invokeTime >= read.invokeTime) break;
      if ((write.completeTime as number) < read.invokeTime && !lost.has(write.id)) {
        lost.set(write.id, { key: write.key, write, read, observed, observedWriter });
      }
    }
  }
  return [...lost.values()].sort((a, b) => a.write.id - b.write.id);
}

function isAcknowledgedWrite(o: Operation): boolean {
  return o.status === 'ok' && (o.op === 'put' || (o.op === 'cas' && o.swapped === true));
}

/** Operations that may leave the key holding each value (null: absent), failed ones excluded. */
function writersByValue(operations: readonly Operation[]): Map<string | null, Operation[]> {
  const writers = new Map<string | null, Operation[]>();
  const add = (value: string | null, o: Operation): void => {
    const list = writers.get(value);
    if (list) list.push(o);
    else writers.set(value, [o]);
  };
  for (const o of operations) {
    if (o.status === 'fail') continue;
    if (o.op === 'delete') add(null, o);
    if (o.op === 'put') add(o.value as string, o);
    if (o.op === 'cas' && (o.status === 'info' || o.swapped)) add(o.value as string, o);
  }
  return writers;
}

function observedBy(read: Operation): string | null {
  if (read.op === 'cas' && read.swapped) return read.expect ?? null;
  return read.result ?? null;
}

/** Index of the first write (sorted by invocation) invoked strictly after `time`. */
function firstInvokedAfter(writes: readonly Operation[], time: number): number {
  let low = 0;
  let high = writes.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (writes[mid].invokeTime > time) high = mid;
    else low = mid + 1;
  }
  return low;
}
