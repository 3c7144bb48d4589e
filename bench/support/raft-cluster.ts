// A 3-member raft-node cluster for the key-value benchmark: `node bin/raft-node.mjs` processes on
// free 127.0.0.1 ports with fresh data dirs (fsync on, the default), driven through the leader's
// /client WebSocket.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeStatus } from '../../src/shared/protocol/node-status.ts';
import { freePorts } from '../../test/node/support/free-port.ts';
import { WsClient } from '../../test/node/support/ws-client.ts';
import { ManagedProcess } from './managed-process.ts';
import { cpuSeconds } from './proc-cpu.ts';
import { sampleSum, scrape } from './prometheus.ts';
import type { RunningCluster, ServerSample } from './target.ts';
import { waitUntil } from './wait.ts';

const RAFT_NODE_BIN = fileURLToPath(new URL('../../bin/raft-node.mjs', import.meta.url));
const SIZE = 3;
const STARTUP_TIMEOUT_MS = 20_000;
const LEADER_TIMEOUT_MS = 15_000;

interface Member {
  id: string;
  port: number;
  process: ManagedProcess;
}

export interface RaftClusterOptions {
  /** Parent of the temp data dirs; must be on the disk to measure. */
  parentDir: string;
  /** When set, every member writes a V8 CPU profile to PROFILE_DIR/ID/ on a clean exit. */
  profileDir?: string;
}

export async function startRaftCluster(options: RaftClusterOptions): Promise<RaftCluster> {
  const dir = await mkdtemp(join(options.parentDir, 'bench-kv-raft-'));
  const members: Member[] = [];
  const cluster = new RaftCluster(dir, members);
  try {
    const ports = await freePorts(SIZE);
    const ids = ports.map((_, i) => `n${i + 1}`);
    const peers = ids.map((id, i) => `${id}=ws://127.0.0.1:${ports[i]}`).join(',');
    for (const [i, id] of ids.entries()) {
      const nodeFlags: string[] = [];
      if (options.profileDir) {
        await mkdir(join(options.profileDir, id), { recursive: true });
        nodeFlags.push('--cpu-prof', '--cpu-prof-dir', join(options.profileDir, id));
      }
      const args = [...nodeFlags, RAFT_NODE_BIN, '--id', id, '--data', join(dir, id), '--listen', `127.0.0.1:${ports[i]}`, '--peers', peers, '--cluster', 'bench'];
      members.push({ id, port: ports[i], process: new ManagedProcess(`raft-node ${id}`, process.execPath, args) });
    }
    await Promise.all(members.map((m) => waitHealthy(m)));
    await cluster.findLeader();
    return cluster;
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

export class RaftCluster implements RunningCluster {
  private leaderMember: Member | undefined;

  constructor(
    private readonly dir: string,
    private readonly members: Member[],
  ) {}

  get leader(): { id: string; pid: number } {
    const m = this.leaderOrThrow();
    return { id: m.id, pid: m.process.pid };
  }

  /** Waits until every member agrees on one leader in one term. */
  async findLeader(): Promise<void> {
    const admins = await Promise.all(this.members.map((m) => WsClient.connect(`ws://127.0.0.1:${m.port}/admin`)));
    try {
      this.leaderMember = await waitUntil('a leader all members agree on', LEADER_TIMEOUT_MS, async () => {
        const statuses = await Promise.all(admins.map((a) => a.request<{ ok: boolean; status: NodeStatus }>({ op: 'status' }, 2000)));
        const leader = statuses.find((s) => s.ok && s.status.role === 'leader')?.status;
        const agree = leader && statuses.every((s) => s.ok && s.status.leaderId === leader.id && s.status.term === leader.term);
        return agree ? this.members.find((m) => m.id === leader.id) : undefined;
      });
    } finally {
      await Promise.all(admins.map((a) => a.close()));
    }
  }

  get clientUrl(): string {
    return `ws://127.0.0.1:${this.leaderOrThrow().port}/client`;
  }

  async sample(): Promise<ServerSample> {
    const leader = this.leaderOrThrow();
    const followers = this.members.filter((m) => m !== leader);
    const metrics = (m: Member) => scrape(`http://127.0.0.1:${m.port}/metrics`);
    const at = performance.now();
    const [leaderText, ...followerTexts] = await Promise.all([leader, ...followers].map(metrics));
    const fsyncs = (text: string) => sampleSum(text, 'raft_wal_fsync_duration_seconds_count');
    return {
      at,
      leaderFsyncs: fsyncs(leaderText),
      leaderFsyncSeconds: sampleSum(leaderText, 'raft_wal_fsync_duration_seconds_sum'),
      followerFsyncs: followerTexts.map(fsyncs),
      leaderChanges: [leaderText, ...followerTexts].reduce((sum, text) => sum + sampleSum(text, 'raft_leader_changes_total'), 0),
      leaderCpuSeconds: cpuSeconds(leader.process.pid),
      followerCpuSeconds: followers.map((m) => cpuSeconds(m.process.pid)),
    };
  }

  /** Stops the members with SIGTERM, so that profiles get written, and removes the data dirs. */
  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.process.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private leaderOrThrow(): Member {
    if (!this.leaderMember) throw new Error('the raft cluster has no known leader');
    return this.leaderMember;
  }
}

async function waitHealthy(member: Member): Promise<void> {
  await waitUntil(`raft-node ${member.id} to answer /healthz`, STARTUP_TIMEOUT_MS, async () => {
    if (!member.process.running) throw new Error(`raft-node ${member.id} exited before it was healthy:${member.process.outputTail()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${member.port}/healthz`, { signal: AbortSignal.timeout(1000) });
      return res.ok || undefined;
    } catch {
      return undefined; // not listening yet
    }
  });
}
