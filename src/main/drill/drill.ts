// The failover drill: a workload of concurrent clients on fresh keys, recorded in a history, while
// each round injects a fault on the leader (kill, partition or pause) and measures how long the
// cluster takes to acknowledge writes again; then a final read of every key, the linearizability
// check of the whole history, and a report saved as JSON and HTML next to the history.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DRILL_SCENARIOS, type DrillFault, type DrillReport, type DrillRound, type DrillScenario } from '../../shared/drill.ts';
import { checkHistory } from '../check/check-history.ts';
import { HistoryRecorder } from '../check/recorder.ts';
import type { ClusterConnection } from '../connection/cluster-connection.ts';
import { memberBaseUrl, type ConnectionAuth } from '../connection/endpoint.ts';
import type { LocalCluster } from '../hosting/local-cluster.ts';
import { FaultInjector } from '../ops/faults.ts';
import { currentLeader } from '../ops/leader.ts';
import { OperationError } from '../ops/operation-error.ts';
import { Timeline } from '../ops/timeline.ts';
import { distribution, reportPaths, saveDrillReport } from './report.ts';
import { runRound, waitForConvergence } from './round.ts';
import { Workload } from './workload.ts';

export type { DrillScenario } from '../../shared/drill.ts';

export interface DrillOptions {
  conn: ClusterConnection;
  /** The cluster's host when it runs on this machine: faults are signals and restarts. */
  host?: LocalCluster;
  scenario: DrillScenario;
  rounds: number;
  /** Concurrent clients, each with its own connection. Default 8. */
  clients?: number;
  /** Keys shared by the clients. Default 8. */
  keys?: number;
  /** How long each fault is kept (longer if no write has been acknowledged yet). Default 3000. */
  faultMs?: number;
  /** Quiet time before each round. Default 1000. */
  settleMs?: number;
  /** The history, as JSON Lines; the reports are saved next to it. */
  historyFile: string;
  /** Default: the host's token, or none. */
  auth?: ConnectionAuth;
  onProgress?: (line: string) => void;
  /**
   * Extra clients that only read, from the member that led when the round's fault was injected,
   * without following redirects: they catch a deposed leader that answers reads. Default 2.
   */
  leaderReaders?: number;
  /** A request unanswered for this long is recorded with an unknown outcome. Default 2000. */
  requestTimeoutMs?: number;
  /**
   * Aborting it abandons the drill at once: the round under way is given up, the workload stopped,
   * the cluster healed, and runFailoverDrill throws "the drill was abandoned: <the abort reason>".
   */
  signal?: AbortSignal;
}

const ROTATION: DrillFault[] = ['kill', 'partition', 'pause'];
const FAULT_OF: Record<Exclude<DrillScenario, 'sequence'>, DrillFault> = {
  'kill-leader': 'kill',
  'partition-leader': 'partition',
  'pause-leader': 'pause',
};
const MIN_VOTERS = 3;
const LEADER_TIMEOUT_MS = 30_000;
const FINAL_TIMEOUT_MS = 30_000;
const TIMELINE_CAPACITY = 10_000;

export async function runFailoverDrill(opts: DrillOptions): Promise<DrillReport> {
  const { signal } = opts;
  if (signal?.aborted) throw abandonment(signal);
  let onAbort = (): void => {};
  const abandoned = new Promise<never>((_, reject) => (onAbort = () => reject(abandonment(signal as AbortSignal))));
  abandoned.catch(() => {}); // observed through the races below
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await drill(opts, (promise) => Promise.race([promise, abandoned]));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** `promise`, or the drill's abandonment as soon as its signal aborts. */
type UnlessAbandoned = <T>(promise: Promise<T>) => Promise<T>;

async function drill(opts: DrillOptions, unlessAbandoned: UnlessAbandoned): Promise<DrillReport> {
  const settings = validate(opts);
  const { conn, host, scenario } = opts;
  const progress = opts.onProgress ?? (() => {});
  const startedAt = new Date();
  const start = performance.now();
  const runId = `drill-${startedAt.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
  const historyFile = resolve(opts.historyFile);
  const { signal } = opts;

  const leader = await unlessAbandoned(currentLeader(conn, LEADER_TIMEOUT_MS));
  const { voters } = leader.status.config;
  if (voters.length < MIN_VOTERS) {
    throw new OperationError(`a failover drill needs at least ${MIN_VOTERS} voters, so that a quorum survives the fault; this cluster has ${voters.length}`);
  }
  const urls = leader.status.members.filter((m) => voters.includes(m.id)).map((m) => memberBaseUrl(m.url));
  const auth = opts.auth ?? (host ? await host.auth() : {});

  await mkdir(dirname(historyFile), { recursive: true });
  // Fails now, with the file's name, if the history cannot be written.
  await writeFile(historyFile, '');
  const recorder = new HistoryRecorder({ stream: createWriteStream(historyFile) });
  const timeline = new Timeline(TIMELINE_CAPACITY);
  const injector = new FaultInjector(conn, { host, timeline });
  const keys = Array.from({ length: settings.keys }, (_, i) => `${runId}-k${i}`);
  const workload = new Workload({
    urls,
    auth,
    keys,
    valuePrefix: runId,
    clients: settings.clients,
    leaderReaders: settings.leaderReaders,
    recorder,
    requestTimeoutMs: settings.requestTimeoutMs,
  });
  progress(`${scenario} drill ${runId}: ${opts.rounds} rounds, ${settings.clients} clients on ${keys.length} keys, members ${voters.join(', ')}; history ${historyFile}`);

  const rounds: DrillRound[] = [];
  let finished = false;
  workload.start();
  try {
    const context = { conn, host, injector, timeline, workload, faultMs: settings.faultMs, settleMs: settings.settleMs, progress, signal };
    for (let round = 1; round <= opts.rounds; round++) {
      const fault = scenario === 'sequence' ? ROTATION[(round - 1) % ROTATION.length] : FAULT_OF[scenario];
      rounds.push(await unlessAbandoned(runRound(context, round, fault)));
    }
    progress('stopping the workload');
    await workload.stop();
    const convergenceMs = await unlessAbandoned(waitForConvergence(conn, FINAL_TIMEOUT_MS));
    progress(`every member applied the same index (${convergenceMs} ms); reading every key`);
    await unlessAbandoned(workload.finalReads(FINAL_TIMEOUT_MS));
    finished = true;
  } catch (error) {
    // A round given up on its abort signal fails its own way: say why the drill ended.
    throw signal?.aborted ? abandonment(signal) : error;
  } finally {
    await workload.stop();
    injector.close();
    if (!finished) await injector.heal().catch(() => {});
    await recorder.close();
  }

  progress(`checking ${recorder.events.length} history events`);
  const checkStart = performance.now();
  const result = checkHistory(recorder.events);
  const checkMs = Math.round(performance.now() - checkStart);
  const measured = rounds.flatMap((r) => (r.unavailabilityMs === null ? [] : [r.unavailabilityMs]));
  const report: DrillReport = {
    scenario,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - start),
    rounds,
    ops: result.ops,
    verdict: result.verdict,
    lostWrites: result.lostWrites,
    anomalies: result.anomalies,
    historyFile,
    reportFiles: reportPaths(historyFile),
    runId,
    members: voters,
    clients: settings.clients,
    keys: keys.length,
    faultMs: settings.faultMs,
    unavailability: distribution(measured),
    undecidedKeys: result.undecidedKeys,
    checkMs,
    timeline: timeline.entries(),
  };
  await saveDrillReport(report);
  progress(`verdict: ${report.verdict}; ${report.lostWrites} lost writes; ${report.anomalies.length} anomalies; report ${report.reportFiles.json}`);
  return report;
}

function abandonment(signal: AbortSignal): OperationError {
  const reason: unknown = signal.reason;
  return new OperationError(`the drill was abandoned: ${reason instanceof Error ? reason.message : String(reason)}`);
}

interface Settings {
  clients: number;
  keys: number;
  faultMs: number;
  settleMs: number;
  leaderReaders: number;
  requestTimeoutMs: number;
}

function validate(opts: DrillOptions): Settings {
  if (!(DRILL_SCENARIOS as readonly string[]).includes(opts.scenario)) {
    throw new OperationError(`unknown drill scenario "${opts.scenario}"; expected one of ${DRILL_SCENARIOS.join(', ')}`);
  }
  if (typeof opts.historyFile !== 'string' || opts.historyFile.trim() === '') throw new OperationError('a drill needs a history file path');
  wholeNumber('rounds', opts.rounds, 1, 1000);
  return {
    clients: wholeNumber('clients', opts.clients ?? 8, 1, 256),
    keys: wholeNumber('keys', opts.keys ?? 8, 1, 10_000),
    faultMs: wholeNumber('faultMs', opts.faultMs ?? 3_000, 100, 600_000),
    settleMs: wholeNumber('settleMs', opts.settleMs ?? 1_000, 0, 600_000),
    leaderReaders: wholeNumber('leaderReaders', opts.leaderReaders ?? 2, 0, 64),
    requestTimeoutMs: wholeNumber('requestTimeoutMs', opts.requestTimeoutMs ?? 2_000, 100, 60_000),
  };
}

function wholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new OperationError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}
