// One raft-node process started the way users start it (`node bin/raft-node.mjs ...`), with its
// stderr kept for assertions and a bounded stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGetRaw } from 'node:http';
import { get as httpsGetRaw } from 'node:https';
import { fileURLToPath } from 'node:url';

export const RAFT_NODE_BIN = fileURLToPath(new URL('../../../bin/raft-node.mjs', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Processes not yet exited: killed if the test process exits first (a crash, a closed stdout pipe). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class RaftNodeProcess {
  readonly child: ChildProcess;
  /** Resolves once the process has exited. */
  readonly exited: Promise<Exit>;
  private out = '';
  private err = '';
  private hasExited = false;

  constructor(args: string[], env: Record<string, string | undefined> = {}) {
    this.child = spawn(process.execPath, [RAFT_NODE_BIN, ...args], {
      env: { ...process.env, RAFT_TOKEN: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.err += chunk.toString()));
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        live.delete(this.child);
        this.hasExited = true;
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  /** Polls GET /healthz until it answers 200; fails early if the process exits. `ca` for https. */
  async waitHealthy(baseUrl: string, timeoutMs = 30_000, ca?: Buffer): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`raft-node exited before it was healthy:\n${this.err}`);
      try {
        if ((await httpGet(`${baseUrl}/healthz`, ca)).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`raft-node was not healthy within ${timeoutMs} ms:\n${this.err}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<Exit> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Runs raft-node to completion (for startup failures and --help); killed after `timeoutMs`. */
export async function runRaftNode(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<RunResult> {
  const node = new RaftNodeProcess(args, env);
  const timer = setTimeout(() => node.child.kill('SIGKILL'), timeoutMs);
  try {
    const exit = await node.exited;
    return { ...exit, stdout: node.stdout, stderr: node.stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** GET over http or https (trusting `ca`), bounded to a few seconds. */
export function httpGet(url: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGetRaw : httpGetRaw;
    const req = get(url, { ca, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
