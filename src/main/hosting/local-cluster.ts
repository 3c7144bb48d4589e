// A cluster of raft-node processes on this machine, in a folder DIR:
//   DIR/cluster.json   members, URLs, pids, the token file's path (see cluster-file.ts)
//   DIR/token          the shared secret, mode 0600
//   DIR/<id>/data      a member's data directory
//   DIR/<id>/node.log  its stdout and stderr
// Members listen on free 127.0.0.1 ports. The host starts, kills, pauses, resumes and restarts
// them and reports every exit; membership changes themselves go over /admin (not here).
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Listeners } from '../listeners.ts';
import { readTokenFile, type ConnectionAuth } from '../connection/endpoint.ts';
import {
  CLUSTER_NAME_PATTERN,
  clusterFilePath,
  MAX_MEMBERS,
  nodeArgsProblem,
  readClusterFile,
  writeClusterFile,
  type ClusterFile,
  type ClusterFileMember,
} from './cluster-file.ts';
import { freePort, freePorts, LOOPBACK } from './free-port.ts';
import { waitHealthy } from './healthz.ts';
import { stopOnHostExit } from './host-exit.ts';
import { logTail } from './log-tail.ts';
import { commandLine, isAlive, isStopped, NodeProcess, type ExitInfo } from './node-process.ts';
import { raftNodeEntry } from './package-root.ts';
import { createTokenFile } from './token-file.ts';

/**
 * `starting`: spawned, not yet healthy; `running`; `paused` (SIGSTOP); `stopped`: not running,
 * by this host's choice (never started, stopped, killed); `exited`: it exited on its own.
 */
export type HostedMemberState = 'starting' | 'running' | 'paused' | 'stopped' | 'exited';

export interface HostedMember {
  id: string;
  url: string;
  dataDir: string;
  logFile: string;
  pid: number | null;
  state: HostedMemberState;
  /** Started with --join (added after the cluster bootstrapped). */
  joined: boolean;
  /** The last exit; `expected` when this host caused it (stop, kill, restart). */
  lastExit: (ExitInfo & { expected: boolean }) | null;
}

export type HostEvent =
  | { type: 'started'; id: string; pid: number; at: number }
  | { type: 'exited'; id: string; pid: number; code: number | null; signal: string | null; expected: boolean; at: number }
  | { type: 'paused' | 'resumed'; id: string; pid: number; at: number }
  | { type: 'added' | 'retired'; id: string; url: string; at: number }
  /** Something failed in the background (an automatic restart, saving cluster.json). */
  | { type: 'error'; id?: string; message: string; at: number };

export interface HostOptions {
  /** Bound on waiting for a started node's /healthz. Default 20 s. */
  healthTimeoutMs?: number;
  /** Restart a member that exits on its own (not one this host stopped or killed). Default false. */
  restartOnExit?: boolean;
  /** The raft-node script to run with node; default bin/raft-node.mjs of this package. */
  entry?: string;
  /**
   * Stop the members when this process is interrupted, kill them when it exits. Default true; a
   * tool that only borrows a hosted cluster (raftctl --dir) turns it off so the members outlive it.
   */
  stopOnHostExit?: boolean;
}

export interface CreateClusterOptions extends HostOptions {
  /** The cluster's folder; created if missing; must not already hold a cluster. */
  dir: string;
  /** 1 to 7; default 3. */
  size?: number;
  /** --cluster NAME; default "local". */
  name?: string;
  /** Extra raft-node flags for every member, e.g. ['--election-timeout', '300-600']. */
  nodeArgs?: string[];
}

interface Slot {
  record: ClusterFileMember;
  process: NodeProcess | undefined;
  state: HostedMemberState;
  lastExit: HostedMember['lastExit'];
  /** Set while this host is causing the exit, so that it is not taken for a crash. */
  exitExpected: boolean;
  starting: Promise<void> | undefined;
  /** Set by stop, kill or restart while a start is under way: the start gives up. */
  cancelStart: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  quickExits: number;
}

/** A start that failed; `portInUse` when someone else took the member's port. */
export class NodeStartError extends Error {
  override readonly name = 'NodeStartError';
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

const DEFAULTS = { size: 3, name: 'local', healthTimeoutMs: 20_000 };
const TERM_GRACE_MS = 5_000;
const KILL_WAIT_MS = 5_000;
const PORT_ATTEMPTS = 3;
const RESTART_DELAY_MS = 1_000;
/** An automatic restart is given up after this many exits in a row within QUICK_EXIT_MS of starting. */
const MAX_QUICK_EXITS = 3;
const QUICK_EXIT_MS = 10_000;
const PORT_IN_USE = /already in use|EADDRINUSE/i;

export class LocalCluster {
  private readonly slots = new Map<string, Slot>();
  private readonly events = new Listeners<HostEvent>();
  private readonly entry: string;
  private readonly healthTimeoutMs: number;
  private readonly restartOnExit: boolean;
  private readonly stopOnHostExit: boolean;
  private unregisterExitHook: (() => void) | undefined;
  private writing: Promise<void> = Promise.resolve();
  private detached = false;

  private constructor(
    readonly dir: string,
    private readonly file: ClusterFile,
    options: HostOptions,
  ) {
    this.entry = options.entry ?? raftNodeEntry();
    this.healthTimeoutMs = options.healthTimeoutMs ?? DEFAULTS.healthTimeoutMs;
    this.restartOnExit = options.restartOnExit ?? false;
    this.stopOnHostExit = options.stopOnHostExit ?? true;
    for (const record of file.members) this.slots.set(record.id, newSlot(record));
  }

  /** Creates DIR, its token and N members, starts them all and waits until each is healthy. */
  static async create(options: CreateClusterOptions): Promise<LocalCluster> {
    const dir = resolve(options.dir);
    const size = options.size ?? DEFAULTS.size;
    const name = options.name ?? DEFAULTS.name;
    const nodeArgs = options.nodeArgs ?? [];
    if (!Number.isInteger(size) || size < 1 || size > MAX_MEMBERS) throw new Error(`cluster size must be a whole number from 1 to ${MAX_MEMBERS}, got ${size}`);
    if (!CLUSTER_NAME_PATTERN.test(name)) throw new Error(`cluster name "${name}" must be 1 to 64 of A-Z, a-z, 0-9, ".", "_" and "-", starting with a letter or digit`);
    const argsProblem = nodeArgsProblem(nodeArgs);
    if (argsProblem) throw new Error(argsProblem);
    await mkdir(dir, { recursive: true });
    if (existsSync(clusterFilePath(dir))) throw new Error(`${dir} already holds a cluster; open it instead`);

    const tokenFile = join(dir, 'token');
    try {
      await createTokenFile(tokenFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${tokenFile} already exists; remove it or choose an empty folder`);
      throw error;
    }
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts(size);
      const members = ids.map((id, i) => memberRecord(dir, id, ports[i], false));
      const file: ClusterFile = { version: 1, name, tokenFile, nodeArgs, bootstrap: members.map(({ id, url }) => ({ id, url })), members };
      await writeClusterFile(dir, file);
      const cluster = new LocalCluster(dir, file, options);
      const failure = firstFailure(await Promise.allSettled(ids.map((id) => cluster.start(id))));
      if (failure === undefined) return cluster;
      await cluster.stop();
      // The members may have bootstrapped with these ports: start over from empty data.
      await Promise.all(members.map((m) => rm(m.dataDir, { recursive: true, force: true })));
      if (failure instanceof NodeStartError && failure.portInUse && attempt < PORT_ATTEMPTS) continue;
      await rm(clusterFilePath(dir), { force: true });
      await rm(tokenFile, { force: true });
      throw failure;
    }
  }

  /**
   * Reopens the cluster recorded in DIR: adopts members still running (same pid, same data dir),
   * starts the others, and waits until all are healthy. Members it started are stopped again if
   * one fails to start.
   */
  static async open(dir: string, options: HostOptions = {}): Promise<LocalCluster> {
    const file = await readClusterFile(resolve(dir));
    await readTokenFile(file.tokenFile);
    const cluster = new LocalCluster(resolve(dir), file, options);
    const started: Slot[] = [];
    const failure = firstFailure(
      await Promise.allSettled(
        [...cluster.slots.values()].map(async (slot) => {
          if (cluster.adopt(slot)) {
            if (slot.state === 'running') await cluster.awaitHealthy(slot, slot.process as NodeProcess);
            return;
          }
          started.push(slot);
          await cluster.start(slot.record.id);
        }),
      ),
    );
    if (failure !== undefined) {
      // Leave things as they were: stop what this call started, let go of what it adopted.
      await Promise.all(started.map((slot) => cluster.terminate(slot).catch(() => {})));
      await cluster.detach();
      throw failure;
    }
    await cluster.persist();
    return cluster;
  }

  get name(): string {
    return this.file.name;
  }

  get tokenFile(): string {
    return this.file.tokenFile;
  }

  /** Every member, in the order they were added. */
  members(): HostedMember[] {
    return [...this.slots.values()].map(memberView);
  }

  member(id: string): HostedMember {
    return memberView(this.slot(id));
  }

  /** The members' base URLs, for a ClusterConnection or a KvClient. */
  urls(): string[] {
    return [...this.slots.values()].map((slot) => slot.record.url);
  }

  /** The credentials a client needs: the token read from the token file. */
  async auth(): Promise<ConnectionAuth> {
    return { token: await readTokenFile(this.file.tokenFile) };
  }

  onEvent(listener: (event: HostEvent) => void): () => void {
    return this.events.add(listener);
  }

  /** Starts a member that is not running and waits until it is healthy; a no-op if it runs. */
  start(id: string): Promise<void> {
    const slot = this.slot(id);
    if (slot.starting) return slot.starting;
    if (slot.process && !slot.process.exit) return Promise.resolve();
    clearTimeout(slot.restartTimer);
    slot.cancelStart = false;
    slot.starting = this.spawnAndWait(slot).finally(() => (slot.starting = undefined));
    return slot.starting;
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(id: string): Promise<void> {
    const slot = this.slot(id);
    const node = slot.process;
    if (!node || node.exit) return;
    slot.exitExpected = true;
    node.signal('SIGKILL');
    if (!(await node.waitExit(KILL_WAIT_MS))) throw new Error(`${id} (pid ${node.pid}) did not exit ${KILL_WAIT_MS} ms after SIGKILL`);
    await this.writing;
  }

  /** SIGSTOP: the process stops (timers, sockets and all) until resume(). */
  pause(id: string): void {
    const slot = this.slot(id);
    const node = this.running(slot, 'pause');
    node.signal('SIGSTOP');
    slot.state = 'paused';
    this.emit({ type: 'paused', id, pid: node.pid, at: Date.now() });
  }

  /** SIGCONT after pause(). */
  resume(id: string): void {
    const slot = this.slot(id);
    const node = this.running(slot, 'resume');
    node.signal('SIGCONT');
    if (slot.state === 'paused') slot.state = 'running';
    this.emit({ type: 'resumed', id, pid: node.pid, at: Date.now() });
  }

  /** Stops the member cleanly (SIGTERM, SIGKILL after a grace period), then starts it again. */
  async restart(id: string): Promise<void> {
    const slot = this.slot(id);
    await this.terminate(slot);
    await this.start(id);
  }

  /** Stops every member: SIGTERM, then SIGKILL for those still running after a grace period. */
  async stop(): Promise<void> {
    await Promise.all([...this.slots.values()].map((slot) => this.terminate(slot)));
    this.unregisterExitHook?.();
    this.unregisterExitHook = undefined;
    await this.persist();
  }

  /**
   * Starts a new member with --join on a free port and records it; it is not part of the
   * configuration until a leader adds it (admin `add-member`). Resolves once it is healthy.
   */
  async addMember(): Promise<{ id: string; url: string }> {
    if (this.slots.size >= MAX_MEMBERS) throw new Error(`a hosted cluster has at most ${MAX_MEMBERS} members`);
    const id = this.unusedId();
    for (let attempt = 1; ; attempt++) {
      const record = memberRecord(this.dir, id, await freePort(), true);
      const slot = newSlot(record);
      this.slots.set(id, slot);
      this.file.members.push(record);
      try {
        await this.start(id);
        this.emit({ type: 'added', id, url: record.url, at: Date.now() });
        return { id, url: record.url };
      } catch (error) {
        this.forgetSlot(id);
        await rm(record.dataDir, { recursive: true, force: true });
        if (!(error instanceof NodeStartError && error.portInUse && attempt < PORT_ATTEMPTS)) {
          await this.persist();
          throw error;
        }
      }
    }
  }

  /**
   * Stops a member for good and drops it from cluster.json (after it was removed from the
   * configuration over admin). Its folder stays on disk; its id is not reused.
   */
  async retire(id: string): Promise<void> {
    const slot = this.slot(id);
    await this.terminate(slot);
    this.forgetSlot(id);
    await this.persist();
    this.emit({ type: 'retired', id, url: slot.record.url, at: Date.now() });
  }

  /**
   * Leaves the members running and stops watching them, so that the host process may exit;
   * cluster.json keeps their pids for a later open(). This object is not usable afterwards.
   */
  async detach(): Promise<void> {
    await this.persist();
    this.detached = true;
    for (const slot of this.slots.values()) {
      clearTimeout(slot.restartTimer);
      slot.process?.detach();
    }
    this.unregisterExitHook?.();
    this.unregisterExitHook = undefined;
    this.events.clear();
  }

  private async spawnAndWait(slot: Slot): Promise<void> {
    this.ensureLive();
    const { record } = slot;
    await mkdir(record.dataDir, { recursive: true });
    const node = await NodeProcess.spawn(this.entry, this.nodeArgs(record), record.logFile);
    this.watch(slot, node, 'starting');
    await this.awaitHealthy(slot, node);
  }

  /** Takes over a process an earlier host left running; false when there is none. */
  private adopt(slot: Slot): boolean {
    const { pid, dataDir } = slot.record;
    if (pid === null || !isAlive(pid)) return false;
    const command = commandLine(pid);
    if (command !== undefined && !command.includes(dataDir)) return false;
    this.watch(slot, NodeProcess.adopt(pid), isStopped(pid) ? 'paused' : 'running');
    return true;
  }

  private watch(slot: Slot, node: NodeProcess, state: HostedMemberState): void {
    slot.process = node;
    slot.state = state;
    slot.exitExpected = false;
    slot.record.pid = node.pid;
    if (this.stopOnHostExit) this.unregisterExitHook ??= stopOnHostExit({ stop: () => this.stop(), killNow: () => this.killNow() });
    node.onExit((exit) => this.onExit(slot, node, exit));
  }

  private async awaitHealthy(slot: Slot, node: NodeProcess): Promise<void> {
    const { record } = slot;
    try {
      const health = await waitHealthy(record.url, {
        timeoutMs: this.healthTimeoutMs,
        abandon: () => (node.exit ? `exited (${describeExit(node.exit)})` : slot.cancelStart ? 'stopped while starting' : undefined),
      });
      if (typeof health.id === 'string' && health.id !== record.id) throw new Error(`another node (${health.id}) answers at ${record.url}`);
    } catch (error) {
      if (!node.exit) {
        slot.exitExpected = true;
        node.signal('SIGKILL');
        await node.waitExit(KILL_WAIT_MS);
      }
      const tail = await logTail(record.logFile);
      const detail = tail.length > 0 ? `; its log ${record.logFile} ends: ${tail.join(' | ')}` : `; see ${record.logFile}`;
      throw new NodeStartError(`${record.id} did not start: ${(error as Error).message}${detail}`, tail.some((line) => PORT_IN_USE.test(line)));
    }
    if (slot.process !== node || node.exit) throw new NodeStartError(`${record.id} exited right after starting; see ${record.logFile}`, false);
    slot.state = 'running';
    await this.persist();
    this.emit({ type: 'started', id: record.id, pid: node.pid, at: Date.now() });
  }

  private onExit(slot: Slot, node: NodeProcess, exit: ExitInfo): void {
    if (slot.process !== node || this.detached) return;
    const expected = slot.exitExpected;
    // A start that fails is reported to whoever started it, not retried behind their back.
    const restart = !expected && this.restartOnExit && slot.state !== 'starting';
    slot.state = expected ? 'stopped' : 'exited';
    slot.lastExit = { ...exit, expected };
    slot.record.pid = null;
    this.emit({ type: 'exited', id: slot.record.id, pid: node.pid, code: exit.code, signal: exit.signal, expected, at: exit.at });
    void this.persist().catch(() => {});
    if (restart && this.slots.get(slot.record.id) === slot) this.scheduleRestart(slot, exit.at - node.startedAt);
  }

  private scheduleRestart(slot: Slot, ranMs: number): void {
    slot.quickExits = ranMs < QUICK_EXIT_MS ? slot.quickExits + 1 : 0;
    const { id } = slot.record;
    if (slot.quickExits >= MAX_QUICK_EXITS) {
      this.emit({ type: 'error', id, message: `${id} exited ${MAX_QUICK_EXITS} times in a row soon after starting; not restarting it again`, at: Date.now() });
      return;
    }
    slot.restartTimer = setTimeout(() => {
      if (slot.state !== 'exited' || this.slots.get(id) !== slot) return;
      this.start(id).catch((error: Error) => this.emit({ type: 'error', id, message: `restarting ${id} failed: ${error.message}`, at: Date.now() }));
    }, RESTART_DELAY_MS);
  }

  /**
   * SIGTERM (and SIGCONT, in case it is paused), then SIGKILL if it outlives the grace period.
   * A start under way is called off first.
   */
  private async terminate(slot: Slot): Promise<void> {
    clearTimeout(slot.restartTimer);
    if (slot.starting) {
      slot.cancelStart = true;
      await slot.starting.catch(() => {});
    }
    const node = slot.process;
    if (!node || node.exit) return;
    slot.exitExpected = true;
    node.signal('SIGTERM');
    node.signal('SIGCONT');
    if (!(await node.waitExit(TERM_GRACE_MS))) {
      node.signal('SIGKILL');
      if (!(await node.waitExit(KILL_WAIT_MS))) throw new Error(`${slot.record.id} (pid ${node.pid}) did not exit after SIGTERM and SIGKILL`);
    }
    await this.writing;
  }

  private killNow(): void {
    for (const slot of this.slots.values()) {
      slot.exitExpected = true;
      slot.process?.signal('SIGKILL');
    }
  }

  private nodeArgs(record: ClusterFileMember): string[] {
    const port = new URL(record.url).port;
    const start = record.joined ? ['--join'] : ['--peers', this.file.bootstrap.map(({ id, url }) => `${id}=${url}`).join(',')];
    return [
      '--id', record.id,
      '--data', record.dataDir,
      '--listen', `${LOOPBACK}:${port}`,
      '--advertise', record.url,
      '--cluster', this.file.name,
      '--token-file', this.file.tokenFile,
      ...start,
      ...this.file.nodeArgs,
    ];
  }

  /** n1, n2, ...: the first number with neither a member nor a folder (a retired member's). */
  private unusedId(): string {
    for (let k = 1; ; k++) {
      const id = `n${k}`;
      if (!this.slots.has(id) && !existsSync(join(this.dir, id))) return id;
    }
  }

  private forgetSlot(id: string): void {
    this.slots.delete(id);
    this.file.members = this.file.members.filter((m) => m.id !== id);
  }

  private running(slot: Slot, action: string): NodeProcess {
    const node = slot.process;
    if (!node || node.exit || slot.state === 'starting') throw new Error(`cannot ${action} ${slot.record.id}: it is ${slot.state}`);
    return node;
  }

  private slot(id: string): Slot {
    this.ensureLive();
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`no member "${id}" in cluster ${this.file.name} (members: ${[...this.slots.keys()].join(', ') || 'none'})`);
    return slot;
  }

  private ensureLive(): void {
    if (this.detached) throw new Error(`the host of ${basename(this.dir)} was detached; open the folder again`);
  }

  /** Saves cluster.json; writes run one after another, each with the latest state. */
  private persist(): Promise<void> {
    const write = this.writing.then(() => writeClusterFile(this.dir, this.file));
    this.writing = write.catch((error: Error) => {
      this.emit({ type: 'error', message: `saving ${clusterFilePath(this.dir)} failed: ${error.message}`, at: Date.now() });
    });
    return write;
  }

  private emit(event: HostEvent): void {
    this.events.emit(event);
  }
}

function memberRecord(dir: string, id: string, port: number, joined: boolean): ClusterFileMember {
  return { id, url: `ws://${LOOPBACK}:${port}`, dataDir: join(dir, id, 'data'), logFile: join(dir, id, 'node.log'), pid: null, joined };
}

function newSlot(record: ClusterFileMember): Slot {
  return { record, process: undefined, state: 'stopped', lastExit: null, exitExpected: false, starting: undefined, cancelStart: false, restartTimer: undefined, quickExits: 0 };
}

function memberView(slot: Slot): HostedMember {
  const { id, url, dataDir, logFile, pid, joined } = slot.record;
  return { id, url, dataDir, logFile, pid, state: slot.state, joined, lastExit: slot.lastExit };
}

function firstFailure(results: PromiseSettledResult<unknown>[]): Error | undefined {
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  return rejected === undefined ? undefined : (rejected.reason as Error);
}

function describeExit(exit: ExitInfo): string {
  if (exit.signal) return `signal ${exit.signal}`;
  return exit.code === null ? 'exit status unknown' : `exit code ${exit.code}`;
}
