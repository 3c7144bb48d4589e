// `bench`: a closed-loop put workload against the addressed cluster: N clients each keep one put in
// flight for S seconds; reports acknowledged puts per second and latency percentiles.
import { setTimeout as sleep } from 'node:timers/promises';
import { KvClient } from '../connection/kv-client.ts';
import { RequestError } from '../connection/request-error.ts';
import { MAX_VALUE_BYTES } from '../../shared/protocol/limits.ts';
import { CommandError, type Command } from './command.ts';
import type { ClusterAccess } from './cluster-access.ts';

/** Connections are shared: clients beyond this many multiplex over them. */
const MAX_CONNECTIONS = 8;
/** Keys each client cycles through. */
const KEYS_PER_CLIENT = 100;
const RETRY_PAUSE_MS = 50;

interface Tally {
  latenciesMs: number[];
  notApplied: number;
  unknown: number;
  lastError: string | null;
}

export interface BenchResult {
  seconds: number;
  clients: number;
  valueSize: number;
  puts: number;
  putsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: { notApplied: number; unknown: number; last: string | null };
}

export const benchCommand: Command = {
  name: 'bench',
  operands: '',
  operandCount: [0, 0],
  summary: 'measure puts/s and p50/p99 latency against the cluster',
  details: [
    'Each client keeps one put in flight (a closed loop) for the whole run, on keys bench/CLIENT/I.',
    'Prints a progress line each second on stderr. Exits 1 when no put was acknowledged.',
  ],
  flags: {
    seconds: 'how long to run, 1 to 3600 (default 10)',
    clients: 'concurrent clients, 1 to 1024 (default 8)',
    'value-size': `bytes per value, 1 to ${MAX_VALUE_BYTES} (default 100)`,
  },
  reachesCluster: true,
  async run({ flags, cluster, out }) {
    const seconds = flags.int('seconds', { min: 1, max: 3600 }, 10);
    const clients = flags.int('clients', { min: 1, max: 1024 }, 8);
    const valueSize = flags.int('value-size', { min: 1, max: MAX_VALUE_BYTES }, 100);
    const access = await cluster();
    const connections = Array.from({ length: Math.min(clients, MAX_CONNECTIONS) }, () => newClient(access));
    try {
      // Connected, and the leader found, before the clock starts.
      await Promise.all(connections.map((kv) => kv.put('bench/warm-up', 'x')));
      const tally: Tally = { latenciesMs: [], notApplied: 0, unknown: 0, lastError: null };
      const value = 'x'.repeat(valueSize);
      const deadline = performance.now() + seconds * 1000;
      const ticker = reportEachSecond(tally, (line) => out.progress(line));
      try {
        await Promise.all(Array.from({ length: clients }, (_, c) => runClient(connections[c % connections.length], c, value, deadline, tally)));
      } finally {
        clearInterval(ticker);
      }
      const result = summarize(tally, seconds, clients, valueSize);
      if (out.json) out.data(result);
      else printResult(result, (line) => out.line(line));
      if (result.puts === 0) throw new CommandError(`no put was acknowledged${tally.lastError ? ` (last error: ${tally.lastError})` : ''}`);
      return 0;
    } finally {
      for (const kv of connections) kv.close();
    }
  },
};

function newClient(access: ClusterAccess): KvClient {
  return new KvClient(access.urls, { auth: access.auth, timeoutMs: access.timeoutMs });
}

async function runClient(kv: KvClient, client: number, value: string, deadline: number, tally: Tally): Promise<void> {
  for (let i = 0; performance.now() < deadline; i++) {
    const started = performance.now();
    try {
      await kv.put(`bench/${client}/${i % KEYS_PER_CLIENT}`, value);
      tally.latenciesMs.push(performance.now() - started);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      tally.lastError = error.message;
      if (error.definitelyNotApplied) tally.notApplied++;
      else tally.unknown++;
      // An election or a busy leader: give it a moment rather than spin.
      await sleep(RETRY_PAUSE_MS);
    }
  }
}

function reportEachSecond(tally: Tally, report: (line: string) => void): NodeJS.Timeout {
  let second = 0;
  let before = 0;
  return setInterval(() => {
    second++;
    const done = tally.latenciesMs.length;
    report(`${second} s: ${done - before} puts/s, ${done} in all`);
    before = done;
  }, 1000);
}

function summarize(tally: Tally, seconds: number, clients: number, valueSize: number): BenchResult {
  const sorted = [...tally.latenciesMs].sort((a, b) => a - b);
  return {
    seconds,
    clients,
    valueSize,
    puts: sorted.length,
    putsPerSecond: round2(sorted.length / seconds),
    p50Ms: round2(percentile(sorted, 0.5)),
    p99Ms: round2(percentile(sorted, 0.99)),
    maxMs: round2(sorted.at(-1) ?? 0),
    errors: { notApplied: tally.notApplied, unknown: tally.unknown, last: tally.lastError },
  };
}

function printResult(result: BenchResult, line: (text: string) => void): void {
  line(`${result.puts} puts in ${result.seconds} s from ${result.clients} clients, ${result.valueSize}-byte values`);
  line(`throughput: ${result.putsPerSecond.toFixed(1)} puts/s`);
  line(`latency: p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, max ${result.maxMs.toFixed(2)} ms`);
  const { notApplied, unknown, last } = result.errors;
  if (notApplied + unknown > 0) line(`errors: ${notApplied} not applied, ${unknown} unknown outcome (last: ${last})`);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The nearest-rank percentile of ascending values; 0 for none. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
