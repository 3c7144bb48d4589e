// Server processes a benchmark starts (raft-node, etcd): each keeps the tail of its output for
// error messages, and every one still running is killed when the benchmark ends, however it ends
// (finally, Ctrl-C, SIGTERM, an uncaught error).
import { spawn, type ChildProcess } from 'node:child_process';

/** Output kept per process: enough for the last lines of a startup failure. */
const TAIL_BYTES = 16 * 1024;

const running = new Set<ManagedProcess>();

export class ManagedProcess {
  private readonly child: ChildProcess;
  private output = '';
  private hasExited = false;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
  ) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-TAIL_BYTES));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('close', () => {
        this.hasExited = true;
        running.delete(this);
        resolve();
      });
      this.child.once('error', (error) => {
        this.output += `\ncannot start ${command}: ${error.message}`;
      });
    });
    running.add(this);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start:${this.outputTail()}`);
    return this.child.pid;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  /** The last lines the process printed, for error messages. */
  outputTail(lines = 15): string {
    const tail = this.output.trimEnd().split('\n').slice(-lines).join('\n');
    return tail === '' ? ' (no output)' : `\n${tail}`;
  }

  /** SIGTERM (a clean exit, which writes a CPU profile), then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Kills every process still running; synchronous, so it also works from an 'exit' handler. */
export function killAllNow(): void {
  for (const p of running) p.kill().catch(() => undefined);
}

/**
 * Makes Ctrl-C, SIGTERM and any exit kill the servers first. `cleanup` (e.g. removing temp dirs)
 * must be synchronous: nothing asynchronous runs once the process is exiting.
 */
export function killAllOnExit(cleanup: () => void): void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping every server this benchmark started\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    killAllNow();
    cleanup();
  });
}
