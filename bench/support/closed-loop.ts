// The workload: `slots` puts outstanding at all times, spread over the connections, each new put
// sent as soon as one is answered (a closed loop). Puts answered during the warm-up are not
// counted; puts answered inside the window are, with their latency.
import type { PutConnection } from './target.ts';
import { sleep } from './wait.ts';

export interface LoopPlan {
  slots: number;
  /** Keys are `bench-0` .. `bench-(keySpace - 1)`, written round-robin. */
  keySpace: number;
  value: string;
  /** The measured window, in performance.now() ms. */
  windowStart: number;
  windowEnd: number;
}

export interface LoopResult {
  /** Acknowledged puts answered inside the window. */
  ok: number;
  /** Failed puts answered inside the window, by error code. */
  errors: Record<string, number>;
  /** Latencies (ms) of the acknowledged puts in the window, sorted ascending. */
  latenciesMs: Float64Array;
  /** Share of the window the client's event loop was busy: near 1, the client was the limit. */
  eventLoopBusy: number;
}

/** After a failed put a slot waits this long, so a refusing server is not flooded. */
const ERROR_PAUSE_MS = 10;

export async function runClosedLoop(connections: PutConnection[], plan: LoopPlan): Promise<LoopResult> {
  if (connections.length === 0) throw new Error('runClosedLoop needs at least one connection');
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let nextKey = 0;

  async function slot(connection: PutConnection): Promise<void> {
    while (performance.now() < plan.windowEnd) {
      const key = `bench-${nextKey++ % plan.keySpace}`;
      const sent = performance.now();
      const outcome = await connection.put(key, plan.value);
      const answered = performance.now();
      const counted = answered >= plan.windowStart && answered < plan.windowEnd;
      if (outcome.ok) {
        if (counted) latencies.push(answered - sent);
      } else {
        if (counted) errors[outcome.code] = (errors[outcome.code] ?? 0) + 1;
        await sleep(ERROR_PAUSE_MS);
      }
    }
  }

  const slots = Promise.all(Array.from({ length: plan.slots }, (_, i) => slot(connections[i % connections.length])));
  await sleep(plan.windowStart - performance.now());
  const loopAtStart = performance.eventLoopUtilization();
  await sleep(plan.windowEnd - performance.now());
  const eventLoopBusy = performance.eventLoopUtilization(loopAtStart).utilization;
  await slots;
  return { ok: latencies.length, errors, latenciesMs: Float64Array.from(latencies).sort(), eventLoopBusy };
}

/** The `p`-th percentile (0..100) of ascending `sorted` values, nearest rank; NaN when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
