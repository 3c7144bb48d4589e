// Histories produced by a real sequential register: every operation takes effect at one instant
// between its invocation and its completion, so the result is linearizable by construction.
// Several processes run at once, so operations overlap at random. Seeded, so failures replay.
import type { HistoryEvent } from '../../src/main/check/history.ts';

export interface RandomHistoryOptions {
  seed: number;
  processes: number;
  keys: number;
  operations: number;
  /** Share of operations that time out: applied or not, at random, and recorded as `info`. */
  unknownRate?: number;
  /** Share of writes that fail: not applied, recorded as `fail`. */
  failRate?: number;
}

interface Planned {
  process: number;
  key: string;
  op: 'get' | 'put' | 'delete' | 'cas';
  start: number;
  effect: number;
  end: number;
  outcome: 'ok' | 'fail' | 'info';
}

export function randomRegisterHistory(options: RandomHistoryOptions): HistoryEvent[] {
  const random = mulberry32(options.seed);
  const planned = planOperations(options, random);
  const events: { event: HistoryEvent; order: number }[] = [];
  const register = new Map<string, string>();
  let written = 0;
  planned.sort((a, b) => a.effect - b.effect);
  for (const p of planned) {
    const { process, key, op } = p;
    const current = register.get(key) ?? null;
    const applied = p.outcome === 'ok' || (p.outcome === 'info' && random() < 0.5);
    const base = { process, key };
    let completion: HistoryEvent;
    if (op === 'get') {
      events.push({ event: { type: 'invoke', ...base, op, time: p.start }, order: events.length });
      completion = { type: 'ok', ...base, op, value: current, time: p.end };
    } else if (op === 'put') {
      const value = `${key}-${++written}`;
      if (applied) register.set(key, value);
      events.push({ event: { type: 'invoke', ...base, op, value, time: p.start }, order: events.length });
      completion = { type: 'ok', ...base, op, time: p.end };
    } else if (op === 'delete') {
      if (applied) register.delete(key);
      events.push({ event: { type: 'invoke', ...base, op, time: p.start }, order: events.length });
      completion = { type: 'ok', ...base, op, time: p.end };
    } else {
      // Mostly the current value, so that swaps happen; sometimes a stale guess.
      const expect = random() < 0.6 ? current : random() < 0.5 ? null : `${key}-${Math.max(1, written - 3)}`;
      const value = `${key}-${++written}`;
      const swapped = applied && expect === current;
      if (swapped) register.set(key, value);
      events.push({ event: { type: 'invoke', ...base, op, expect, value, time: p.start }, order: events.length });
      completion = { type: 'ok', ...base, op, swapped, value: swapped ? value : current, time: p.end };
    }
    if (p.outcome !== 'ok') completion = { type: p.outcome, ...base, op, time: p.end };
    events.push({ event: completion, order: events.length });
  }
  events.sort((a, b) => a.event.time - b.event.time || a.order - b.order);
  return events.map(({ event }) => event);
}

function planOperations(options: RandomHistoryOptions, random: () => number): Planned[] {
  const { processes, keys, operations, unknownRate = 0, failRate = 0 } = options;
  const clocks = new Array<number>(processes).fill(0);
  const planned: Planned[] = [];
  for (let n = 0; n < operations; n++) {
    const process = n % processes;
    const start = clocks[process] + random();
    const effect = start + random() * 5;
    const end = effect + random() * 5;
    clocks[process] = end;
    const roll = random();
    const op = roll < 0.45 ? 'get' : roll < 0.8 ? 'put' : roll < 0.95 ? 'cas' : 'delete';
    let outcome: Planned['outcome'] = 'ok';
    if (random() < unknownRate) outcome = 'info';
    else if (op !== 'get' && random() < failRate) outcome = 'fail';
    planned.push({ process, key: `k${Math.floor(random() * keys)}`, op, start, effect, end, outcome });
  }
  return planned;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
