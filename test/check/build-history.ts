// Terse hand-written histories for the checker tests: each helper returns the invoke and
// completion events of one operation, `[start, end]` in ms.
import type { HistoryEvent } from '../../src/main/check/history.ts';

type Span = [start: number, end: number];
type Outcome = 'ok' | 'fail' | 'info';

export function history(...operations: HistoryEvent[][]): HistoryEvent[] {
  return operations.flat();
}

export function get(process: number, key: string, read: string | null, [start, end]: Span): HistoryEvent[] {
  return [
    { type: 'invoke', process, op: 'get', key, time: start },
    { type: 'ok', process, op: 'get', key, time: end, value: read },
  ];
}

export function put(process: number, key: string, value: string, [start, end]: Span, outcome: Outcome = 'ok'): HistoryEvent[] {
  return [
    { type: 'invoke', process, op: 'put', key, value, time: start },
    { type: outcome, process, op: 'put', key, time: end },
  ];
}

export function del(process: number, key: string, [start, end]: Span, outcome: Outcome = 'ok'): HistoryEvent[] {
  return [
    { type: 'invoke', process, op: 'delete', key, time: start },
    { type: outcome, process, op: 'delete', key, time: end },
  ];
}

/** `answer`: what an ok cas reported, or a fail/info outcome. */
export function cas(
  process: number,
  key: string,
  expect: string | null,
  value: string,
  [start, end]: Span,
  answer: { swapped: boolean; value: string | null } | 'fail' | 'info',
): HistoryEvent[] {
  const invoke: HistoryEvent = { type: 'invoke', process, op: 'cas', key, expect, value, time: start };
  if (answer === 'fail' || answer === 'info') return [invoke, { type: answer, process, op: 'cas', key, time: end }];
  return [invoke, { type: 'ok', process, op: 'cas', key, time: end, swapped: answer.swapped, value: answer.value }];
}
