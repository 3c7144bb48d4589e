// Key-value store throughput and latency: acknowledged puts per second and p50/p99/max latency
// against a 3-member cluster started here with fsync on, raft-node and/or etcd (for comparison),
// each on a fresh cluster, driven through its leader with the same closed-loop workload.
// Run: npm run bench:kv -- --clients N [--seconds 10] [--value-size 64] [--target raft|etcd|both]
//        [--warmup 2] [--keys 1000] [--dir PARENT] [--profile DIR]
// N puts stay in flight over min(N, 8) connections, all driven from this one thread: a second
// client thread made etcd's gRPC client slower, not faster, on the 2-core reference machine.
// PARENT (default: the OS temp dir) holds the data dirs and must be on the disk to measure.
// --profile DIR: the raft-node members run with node --cpu-prof; the leader's profile over the
// measured window is summarised after the run (raft only).
import { readdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile, runClosedLoop, type LoopResult } from './support/closed-loop.ts';
import { openConnection } from './support/connect.ts';
import { formatSummary, monotonicMicros, summariseProfile } from './support/cpu-profile.ts';
import { startEtcdCluster } from './support/etcd-cluster.ts';
import { killAllOnExit } from './support/managed-process.ts';
import { startRaftCluster } from './support/raft-cluster.ts';
import type { PutConnection, RunningCluster, ServerSample, Target } from './support/target.ts';
import { sleep, withTimeout } from './support/wait.ts';

/** Connections per run: min(clients, this), the in-flight puts spread evenly over them. */
const MAX_CONNECTIONS = 8;
/** Time for the first put on a new cluster to be acknowledged before the run starts. */
const FIRST_PUT_TIMEOUT_MS = 10_000;
/** Time the puts in flight at the end of the window get to finish (each is bounded by 10 s). */
const DRAIN_TIMEOUT_MS = 30_000;

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '10' },
    'value-size': { type: 'string', default: '64' },
    target: { type: 'string', default: 'both' },
    warmup: { type: 'string', default: '2' },
    keys: { type: 'string', default: '1000' },
    dir: { type: 'string', default: tmpdir() },
    profile: { type: 'string' },
  },
});

function wholeNumber(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

function seconds(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be from ${min} to ${max} seconds, got "${text}"`);
  return n;
}

const clients = wholeNumber('clients', values.clients, 1, 4096);
const measureSeconds = seconds('seconds', values.seconds, 1, 600);
const warmupSeconds = seconds('warmup', values.warmup, 0, 60);
const valueSize = wholeNumber('value-size', values['value-size'], 1, 1024 * 1024);
const keySpace = wholeNumber('keys', values.keys, 1, 1_000_000);
const connections = Math.min(clients, MAX_CONNECTIONS);
if (!['raft', 'etcd', 'both'].includes(values.target)) throw new Error(`--target must be raft, etcd or both, got "${values.target}"`);
const targets: Target[] = values.target === 'both' ? ['raft', 'etcd'] : [values.target as Target];
const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
if (profileDir !== undefined && !targets.includes('raft')) throw new Error('--profile profiles raft-node; use it with --target raft or both');

interface Row {
  target: Target;
  load: LoopResult;
  windowMs: number;
  before: ServerSample;
  after: ServerSample;
  /** CPU seconds this process, the client, used in the window. */
  clientCpuSeconds: number;
  loadAverage: number[];
}

const runDir = await mkdtemp(join(values.dir, 'bench-kv-'));
killAllOnExit(() => rmSync(runDir, { recursive: true, force: true }));

console.log(
  `kv bench: ${clients} in flight over ${connections} connection(s), ${valueSize}-byte values, ` +
    `${keySpace} keys, ${warmupSeconds} s warm-up + ${measureSeconds} s measured, 3 members, fsync on, data in ${runDir}`,
);
const rows: Row[] = [];
for (const target of targets) rows.push(await run(target));
console.log();
console.log(formatTables(rows));

async function run(target: Target): Promise<Row> {
  const loadAverage = loadavg();
  const cluster: RunningCluster = target === 'raft' ? await startRaftCluster({ parentDir: runDir, profileDir }) : await startEtcdCluster(runDir);
  const opened: PutConnection[] = [];
  let window: { fromUs: number; toUs: number } | undefined;
  try {
    console.log(`${target}: leader ${cluster.leader.id} (pid ${cluster.leader.pid}); load average ${loadAverage.map((n) => n.toFixed(2)).join(' ')}`);
    await firstPut(target, cluster.clientUrl);
    for (let i = 0; i < connections; i++) opened.push(await openConnection(target, cluster.clientUrl));
    const windowStart = performance.now() + warmupSeconds * 1000;
    const windowEnd = windowStart + measureSeconds * 1000;
    const loop = runClosedLoop(opened, { slots: clients, keySpace, value: 'v'.repeat(valueSize), windowStart, windowEnd });
    await sleep(windowStart - performance.now());
    const fromUs = monotonicMicros();
    const cpuBefore = process.cpuUsage();
    const before = await cluster.sample();
    await sleep(windowEnd - performance.now());
    const toUs = monotonicMicros();
    const cpuUsed = process.cpuUsage(cpuBefore);
    const after = await cluster.sample();
    window = { fromUs, toUs };
    const result = await withTimeout(loop, DRAIN_TIMEOUT_MS, `${target}: the puts in flight at the end of the window`);
    if (after.leaderChanges !== before.leaderChanges) console.log(`${target}: WARNING: the leader changed during the measured window; this run does not count`);
    return { target, load: result, windowMs: windowEnd - windowStart, before, after, clientCpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6, loadAverage };
  } finally {
    await Promise.all(opened.map((c) => c.close()));
    await cluster.close();
    if (target === 'raft' && profileDir !== undefined && window) printLeaderProfile(profileDir, cluster.leader, window);
  }
}

/** The first put on a fresh cluster, retried until acknowledged (a new leader may refuse briefly). */
async function firstPut(target: Target, url: string): Promise<void> {
  const connection = await openConnection(target, url);
  try {
    const deadline = performance.now() + FIRST_PUT_TIMEOUT_MS;
    let last = '';
    while (performance.now() < deadline) {
      const outcome = await connection.put('bench-first', 'x');
      if (outcome.ok) return;
      last = outcome.code;
      await sleep(100);
    }
    throw new Error(`${target}: the first put was not acknowledged within ${FIRST_PUT_TIMEOUT_MS} ms (last error ${last})`);
  } finally {
    await connection.close();
  }
}

function printLeaderProfile(dir: string, leader: { id: string; pid: number }, window: { fromUs: number; toUs: number }): void {
  const file = readdirSync(join(dir, leader.id)).find((name) => name.includes(`.${leader.pid}.`) && name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile of the leader (pid ${leader.pid}) in ${join(dir, leader.id)}`);
  console.log(`\nraft leader ${leader.id}: ${join(dir, leader.id, file)}`);
  console.log(formatSummary(summariseProfile(join(dir, leader.id, file), window.fromUs, window.toUs)));
}

/** The results table, then what explains them: fsync batching, CPU, and whether the client kept up. */
function formatTables(rows: Row[]): string {
  const results = rows.map((r) => {
    const errors = Object.entries(r.load.errors).map(([code, n]) => `${code}:${n}`).join(' ') || '0';
    const ms = (p: number) => percentile(r.load.latenciesMs, p).toFixed(2);
    return [r.target, String(clients), (r.load.ok / (r.windowMs / 1000)).toFixed(0), ms(50), ms(99), ms(100), errors, r.loadAverage[0].toFixed(2)];
  });
  const diagnostics = rows.map((r) => {
    const sampleS = (r.after.at - r.before.at) / 1000;
    const perSecond = (before: number, after: number) => (after - before) / sampleS;
    const fsyncs = r.after.leaderFsyncs - r.before.leaderFsyncs;
    const cpu = (before: number, after: number) => (100 * perSecond(before, after)).toFixed(0);
    return [
      r.target,
      perSecond(r.before.leaderFsyncs, r.after.leaderFsyncs).toFixed(0),
      (r.load.ok / fsyncs).toFixed(1),
      ((1000 * (r.after.leaderFsyncSeconds - r.before.leaderFsyncSeconds)) / fsyncs).toFixed(2),
      r.before.followerFsyncs.map((b, i) => perSecond(b, r.after.followerFsyncs[i]).toFixed(0)).join(' / '),
      cpu(r.before.leaderCpuSeconds, r.after.leaderCpuSeconds),
      r.before.followerCpuSeconds.map((b, i) => cpu(b, r.after.followerCpuSeconds[i])).join(' / '),
      ((100 * r.clientCpuSeconds) / (r.windowMs / 1000)).toFixed(0),
      ((1e6 * r.clientCpuSeconds) / r.load.ok).toFixed(0),
      (100 * r.load.eventLoopBusy).toFixed(0),
      String(r.after.leaderChanges - r.before.leaderChanges),
    ];
  });
  return [
    markdownTable(['target', 'clients', 'puts/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'load avg 1m'], results),
    '',
    markdownTable(
      ['target', 'leader fsync/s', 'puts per fsync', 'leader sync ms (mean)*', 'follower fsync/s', 'leader CPU %', 'follower CPU %', 'client CPU %', 'client CPU µs per put', 'client event loop busy %', 'leader changes'],
      diagnostics,
    ),
    '* raft: raft_wal_fsync_duration_seconds, one durable WAL write (O_DSYNC: write and sync in one call);',
    '  etcd: etcd_disk_wal_fsync_duration_seconds, the fdatasync call alone.',
  ].join('\n');
}

function markdownTable(header: string[], rows: string[][]): string {
  const render = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [render(header), render(header.map(() => '---')), ...rows.map(render)].join('\n');
}
