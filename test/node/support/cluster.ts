// A local cluster of raft-node processes for tests: N members on free 127.0.0.1 ports with temp
// data dirs, helpers to find the leader and talk to members, and a close() that kills them all.
//
//   const cluster = await TestCluster.start({ size: 3 });
//   try { const leader = await cluster.waitForLeader(); ... } finally { await cluster.close(); }
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeStatus } from '../../../src/shared/protocol/node-status.ts';
import { freePorts } from './free-port.ts';
import { RaftNodeProcess, sleep } from './node-process.ts';
import { WsClient } from './ws-client.ts';

export interface ClusterOptions {
  size: number;
  /** Require this shared secret on every member (written to a token file). */
  token?: string;
  /** Added to every member's command line, e.g. ['--snapshot-entries', '100']. */
  args?: string[];
  /** Serve wss:// and https:// with this certificate (for 127.0.0.1), verifying peers against the CA. */
  tls?: TestTls;
  /** How long a start, restart or joiner may take to answer /healthz (default 15 s); a loaded machine needs more. */
  startTimeoutMs?: number;
}

export interface TestTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** The CA's PEM, for clients. */
  ca: Buffer;
}

export interface Member {
  id: string;
  port: number;
  /** ws://127.0.0.1:PORT (wss:// with TLS) */
  url: string;
  /** http://127.0.0.1:PORT (https:// with TLS), for /healthz and /metrics */
  httpUrl: string;
  dataDir: string;
  process: RaftNodeProcess;
}

export class TestCluster {
  readonly members = new Map<string, Member>();
  /** Every process started, restarts included, oldest first: their logs outlive restarts. */
  readonly started: { id: string; process: RaftNodeProcess }[] = [];
  /** Members stopped with SIGSTOP (pause) and not yet resumed. */
  private readonly paused = new Set<string>();
  private readonly admins = new Map<string, WsClient>();
  /** Each member's own flags (--peers or --join), reused on restart as a supervisor would. */
  private readonly ownArgs = new Map<string, string[]>();

  private constructor(
    /** Temp folder holding every member's data dir (and the token file). */
    readonly dir: string,
    private readonly baseArgs: string[],
    readonly token: string | undefined,
    readonly tls: TestTls | undefined,
    private readonly startTimeoutMs: number,
  ) {}

  static async start(options: ClusterOptions): Promise<TestCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'raft-cluster-'));
    const baseArgs = [...(options.args ?? [])];
    if (options.token !== undefined) {
      const tokenFile = join(dir, 'token');
      await writeFile(tokenFile, `${options.token}\n`);
      baseArgs.push('--token-file', tokenFile);
    }
    const { tls } = options;
    if (tls) baseArgs.push('--tls-cert', tls.certFile, '--tls-key', tls.keyFile, '--tls-ca', tls.caFile);
    const cluster = new TestCluster(dir, baseArgs, options.token, tls, options.startTimeoutMs ?? 15_000);
    try {
      const ports = await freePorts(options.size);
      const ids = ports.map((_, i) => `n${i + 1}`);
      const scheme = tls ? 'wss' : 'ws';
      const peers = ids.map((id, i) => `${id}=${scheme}://127.0.0.1:${ports[i]}`).join(',');
      for (const [i, id] of ids.entries()) cluster.launch(id, ports[i], ['--peers', peers]);
      await Promise.all([...cluster.members.values()].map((m) => cluster.waitHealthy(m)));
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  member(id: string): Member {
    const member = this.members.get(id);
    if (!member) throw new Error(`no member ${id}`);
    return member;
  }

  /** Starts a new member with `--join` on a free port; add it with the admin op `add-member`. */
  async startJoiner(id: string): Promise<Member> {
    const [port] = await freePorts(1);
    const member = this.launch(id, port, ['--join']);
    await this.waitHealthy(member);
    return member;
  }

  /** A new connection to a member's /client or /admin (closed by close() only if via admin()). */
  connect(id: string, path: '/client' | '/admin'): Promise<WsClient> {
    return WsClient.connect(`${this.member(id).url}${path}`, { token: this.token, ca: this.tls?.ca });
  }

  /** A shared /admin connection to a member, reopened if it was closed. */
  async admin(id: string): Promise<WsClient> {
    const open = this.admins.get(id);
    if (open) return open;
    const client = await this.connect(id, '/admin');
    this.admins.set(id, client);
    void client.closed.then(() => this.admins.get(id) === client && this.admins.delete(id));
    return client;
  }

  async status(id: string, timeoutMs = 2000): Promise<NodeStatus> {
    const answer = await (await this.admin(id)).request<{ ok: boolean; status: NodeStatus }>({ op: 'status' }, timeoutMs);
    if (!answer.ok) throw new Error(`status of ${id} failed: ${JSON.stringify(answer)}`);
    return answer.status;
  }

  /**
   * Resolves with the id of the leader once every running member of its configuration agrees on
   * it, in the same term (a joiner not yet added is not asked, nor is a paused member).
   */
  async waitForLeader(timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const running = [...this.members.values()].filter((m) => m.process.running && !this.paused.has(m.id));
      const statuses = await Promise.all(running.map((m) => this.status(m.id).catch(() => undefined)));
      const leader = statuses
        .filter((s) => s?.role === 'leader')
        .sort((a, b) => (b?.term ?? 0) - (a?.term ?? 0))[0];
      if (leader) {
        const members = new Set([...leader.config.voters, ...leader.config.learners]);
        const agree = running.every((m, i) => !members.has(m.id) || (statuses[i]?.leaderId === leader.id && statuses[i]?.term === leader.term));
        if (agree) return leader.id;
      }
      await sleep(50);
    }
    throw new Error(`no leader agreed on within ${timeoutMs} ms`);
  }

  /** SIGTERM one member and wait for it to exit (a paused member is resumed first, to see it). */
  async stop(id: string): Promise<void> {
    await this.dropAdmin(id);
    if (this.paused.has(id)) this.resume(id);
    await this.member(id).process.stop();
  }

  /** SIGKILL one member. */
  async kill(id: string): Promise<void> {
    await this.dropAdmin(id);
    this.paused.delete(id);
    await this.member(id).process.kill();
  }

  /** SIGSTOP one member: its sockets stay open but it answers nothing until resume(). */
  pause(id: string): void {
    const { process } = this.member(id);
    if (!process.running) throw new Error(`${id} is not running`);
    process.child.kill('SIGSTOP');
    this.paused.add(id);
  }

  /** SIGCONT a paused member. */
  resume(id: string): void {
    const { process } = this.member(id);
    this.paused.delete(id);
    if (process.running) process.child.kill('SIGCONT');
  }

  isPaused(id: string): boolean {
    return this.paused.has(id);
  }

  /**
   * SIGKILLs a member, deletes its data dir and forgets it, as after it was removed from the
   * configuration; its id must not be used again.
   */
  async discard(id: string): Promise<void> {
    const member = this.member(id);
    await this.kill(id);
    await rm(member.dataDir, { recursive: true, force: true });
    this.members.delete(id);
    this.ownArgs.delete(id);
  }

  /** Writes the stderr (JSON log lines) of every process started so far to files; returns their folder. */
  async saveLogs(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'raft-logs-'));
    const seen = new Map<string, number>();
    for (const { id, process } of this.started) {
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      await writeFile(join(dir, `${id}.${n}.log`), process.stderr);
    }
    return dir;
  }

  /** Starts a stopped or killed member again with the same command line (its data wins over --peers). */
  async restart(id: string): Promise<Member> {
    const old = this.member(id);
    if (old.process.running) throw new Error(`${id} is still running`);
    const member = this.launch(id, old.port, this.ownArgs.get(id) ?? []);
    await this.waitHealthy(member);
    return member;
  }

  /** Kills every process it started, closes every connection and removes the data dirs. */
  async close(): Promise<void> {
    for (const id of [...this.admins.keys()]) await this.dropAdmin(id);
    await Promise.all(this.started.map(({ process }) => process.kill()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private launch(id: string, port: number, args: string[]): Member {
    const dataDir = join(this.dir, id);
    const child = new RaftNodeProcess(['--id', id, '--data', dataDir, '--listen', `127.0.0.1:${port}`, ...this.baseArgs, ...args]);
    const secure = this.tls ? 's' : '';
    const member = { id, port, url: `ws${secure}://127.0.0.1:${port}`, httpUrl: `http${secure}://127.0.0.1:${port}`, dataDir, process: child };
    this.members.set(id, member);
    this.started.push({ id, process: child });
    this.ownArgs.set(id, args);
    return member;
  }

  private waitHealthy(member: Member): Promise<void> {
    return member.process.waitHealthy(member.httpUrl, this.startTimeoutMs, this.tls?.ca);
  }

  private async dropAdmin(id: string): Promise<void> {
    const client = this.admins.get(id);
    this.admins.delete(id);
    await client?.close();
  }
}
