// A 3-member etcd cluster for the key-value benchmark: /usr/bin/etcd processes (Debian's etcd 3.4,
// `apt-get install -y etcd-server etcd-client`) on free 127.0.0.1 ports with fresh data dirs, fsync
// on (etcd's default), driven through the leader with the etcd3 gRPC client.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePorts } from '../../test/node/support/free-port.ts';
import { ManagedProcess } from './managed-process.ts';
import { cpuSeconds } from './proc-cpu.ts';
import { sampleSum, scrape } from './prometheus.ts';
import type { RunningCluster, ServerSample } from './target.ts';
import { waitUntil } from './wait.ts';

const ETCD_BIN = '/usr/bin/etcd';
const SIZE = 3;
const STARTUP_TIMEOUT_MS = 20_000;

interface Member {
  name: string;
  clientUrl: string;
  process: ManagedProcess;
}

export async function startEtcdCluster(parentDir: string): Promise<EtcdCluster> {
  if (!existsSync(ETCD_BIN)) throw new Error(`${ETCD_BIN} is missing: apt-get install -y etcd-server etcd-client`);
  const dir = await mkdtemp(join(parentDir, 'bench-kv-etcd-'));
  const members: Member[] = [];
  const cluster = new EtcdCluster(dir, members);
  try {
    const ports = await freePorts(2 * SIZE);
    const names = Array.from({ length: SIZE }, (_, i) => `e${i + 1}`);
    const peerUrl = (i: number) => `http://127.0.0.1:${ports[SIZE + i]}`;
    const initialCluster = names.map((name, i) => `${name}=${peerUrl(i)}`).join(',');
    for (const [i, name] of names.entries()) {
      const clientUrl = `http://127.0.0.1:${ports[i]}`;
      const args = [
        '--name', name,
        '--data-dir', join(dir, name),
        '--listen-client-urls', clientUrl,
        '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl(i),
        '--initial-advertise-peer-urls', peerUrl(i),
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `bench-${ports[0]}`,
        '--logger', 'zap',
        '--log-level', 'warn',
      ];
      members.push({ name, clientUrl, process: new ManagedProcess(`etcd ${name}`, ETCD_BIN, args) });
    }
    await cluster.findLeader();
    return cluster;
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

export class EtcdCluster implements RunningCluster {
  private leaderMember: Member | undefined;

  constructor(
    private readonly dir: string,
    private readonly members: Member[],
  ) {}

  get leader(): { id: string; pid: number } {
    const m = this.leaderOrThrow();
    return { id: m.name, pid: m.process.pid };
  }

  /** Waits until every member answers and all name the same leader. */
  async findLeader(): Promise<void> {
    const clients = this.members.map((m) => new Etcd3({ hosts: m.clientUrl, dialTimeout: 2000 }));
    try {
      this.leaderMember = await waitUntil('an etcd leader all members agree on', STARTUP_TIMEOUT_MS, async () => {
        for (const m of this.members) {
          if (!m.process.running) throw new Error(`${m.process.name} exited:${m.process.outputTail()}`);
        }
        const statuses = await Promise.all(clients.map((c) => c.maintenance.status({ deadline: Date.now() + 2000 }).catch(() => undefined)));
        const leaderId = statuses[0]?.leader;
        if (!leaderId || leaderId === '0' || !statuses.every((s) => s?.leader === leaderId)) return undefined;
        return this.members[statuses.findIndex((s) => s?.header.member_id === leaderId)];
      });
    } finally {
      for (const c of clients) c.close();
    }
  }

  get clientUrl(): string {
    return this.leaderOrThrow().clientUrl;
  }

  async sample(): Promise<ServerSample> {
    const leader = this.leaderOrThrow();
    const followers = this.members.filter((m) => m !== leader);
    const metrics = (m: Member) => scrape(`${m.clientUrl}/metrics`);
    const at = performance.now();
    const [leaderText, ...followerTexts] = await Promise.all([leader, ...followers].map(metrics));
    const fsyncs = (text: string) => sampleSum(text, 'etcd_disk_wal_fsync_duration_seconds_count');
    return {
      at,
      leaderFsyncs: fsyncs(leaderText),
      leaderFsyncSeconds: sampleSum(leaderText, 'etcd_disk_wal_fsync_duration_seconds_sum'),
      followerFsyncs: followerTexts.map(fsyncs),
      leaderChanges: [leaderText, ...followerTexts].reduce((sum, text) => sum + sampleSum(text, 'etcd_server_leader_changes_seen_total'), 0),
      leaderCpuSeconds: cpuSeconds(leader.process.pid),
      followerCpuSeconds: followers.map((m) => cpuSeconds(m.process.pid)),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.process.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private leaderOrThrow(): Member {
    if (!this.leaderMember) throw new Error('the etcd cluster has no known leader');
    return this.leaderMember;
  }
}
