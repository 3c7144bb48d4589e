// One raft-node OS process: spawned here (a child), or adopted by pid (left running by an earlier
// host). Its output goes to its log file; its exit is reported once, with code and signal.
// Each node runs in its own process group, so signals reach it (and anything it starts) and a
// Ctrl-C meant for the host does not.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

export interface ExitInfo {
  /** null when killed by a signal, or unknown for an adopted process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms since the epoch. */
  at: number;
}

const ADOPTED_POLL_MS = 100;

export class NodeProcess {
  private exitInfo: ExitInfo | undefined;
  private readonly exitListeners: ((exit: ExitInfo) => void)[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private release: (() => void) | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;

  private constructor(
    readonly pid: number,
    readonly startedAt: number,
  ) {
    this.exited = new Promise((resolve) => this.exitListeners.push(resolve));
  }

  /** Starts `node ENTRY ARGS...`, appending its stdout and stderr to `logFile`. */
  static async spawn(entry: string, args: readonly string[], logFile: string): Promise<NodeProcess> {
    const log = await open(logFile, 'a', 0o644);
    try {
      // Under Electron, process.execPath is the Electron binary; this makes it behave as node.
      const env = process.versions.electron === undefined ? process.env : { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
      const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', log.fd, log.fd], detached: true, env });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (error) => reject(new Error(`cannot start raft-node: ${error.message}`)));
      });
      const node = new NodeProcess(child.pid as number, Date.now());
      child.once('exit', (code, signal) => node.settle({ code, signal, at: Date.now() }));
      node.release = () => child.unref();
      return node;
    } finally {
      await log.close();
    }
  }

  /** Watches a running process that this host did not start. */
  static adopt(pid: number): NodeProcess {
    const node = new NodeProcess(pid, Date.now());
    node.pollTimer = setInterval(() => {
      if (!isAlive(pid)) node.settle({ code: null, signal: null, at: Date.now() });
    }, ADOPTED_POLL_MS);
    node.release = () => clearInterval(node.pollTimer);
    return node;
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  onExit(listener: (exit: ExitInfo) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.exitListeners.push(listener);
  }

  /** Sends `signal` to the node's process group; false if it has already exited. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.exitInfo) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      try {
        process.kill(this.pid, signal);
        return true;
      } catch {
        return false;
      }
    }
  }

  /** Resolves true once exited, false if still running after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Stops watching and lets the host exit while the node keeps running. */
  detach(): void {
    this.release?.();
  }

  private settle(exit: ExitInfo): void {
    if (this.exitInfo) return;
    this.exitInfo = exit;
    clearInterval(this.pollTimer);
    for (const listener of this.exitListeners.splice(0)) listener(exit);
  }
}

/** True while `pid` runs (a zombie waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return processState(pid) !== 'Z';
}

/** True when the process is stopped (SIGSTOP); false when running or unknown (no /proc). */
export function isStopped(pid: number): boolean {
  const state = processState(pid);
  return state === 'T' || state === 't';
}

/** The command line of `pid`, where /proc gives it; undefined elsewhere. */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
  } catch {
    return undefined;
  }
}
