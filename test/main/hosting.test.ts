// LocalCluster with real raft-node processes: hosting, cluster.json, kill/pause/restart, exits it
// did not cause, adding and retiring members, stop, reopen, adopt, and no orphans when the host ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ClusterConnection } from '../../src/main/connection/cluster-connection.ts';
import { KvClient } from '../../src/main/connection/kv-client.ts';
import { readClusterFile } from '../../src/main/hosting/cluster-file.ts';
import { LocalCluster, NodeStartError, type HostEvent } from '../../src/main/hosting/local-cluster.ts';
import { isStopped } from '../../src/main/hosting/node-process.ts';
import { eventually, hostCluster, isRunning, PATIENT_NODE_ARGS, retryNotApplied, tearDown, tempDir } from './support/hosted.ts';

function nextEvent(cluster: LocalCluster, match: (event: HostEvent) => boolean): Promise<HostEvent> {
  return new Promise((resolve) => {
    const stop = cluster.onEvent((event) => {
      if (!match(event)) return;
      stop();
      resolve(event);
    });
  });
}

describe('LocalCluster', () => {
  let cluster: LocalCluster;
  let dir: string;
  let clusterDir: string;
  const pidsSeen: number[] = [];

  before(async () => {
    ({ cluster, dir } = await hostCluster({ name: 'test-cluster', restartOnExit: true, nodeArgs: PATIENT_NODE_ARGS }));
    clusterDir = join(dir, 'cluster');
  });
  after(async () => {
    await tearDown(cluster, dir, pidsSeen);
  });

  async function connect(): Promise<{ connection: ClusterConnection; kv: KvClient; close(): void }> {
    const auth = await cluster.auth();
    const connection = new ClusterConnection(cluster.urls(), { auth, backoff: { initialMs: 50, maxMs: 300, jitter: 0.5 } });
    const kv = new KvClient(cluster.urls(), { auth });
    return { connection, kv, close: () => (connection.close(), kv.close()) };
  }

  it('hosts three healthy members and records them in cluster.json, without the token', async () => {
    const members = cluster.members();
    assert.deepEqual(members.map((m) => [m.id, m.state, m.joined]), [
      ['n1', 'running', false],
      ['n2', 'running', false],
      ['n3', 'running', false],
    ]);
    pidsSeen.push(...members.map((m) => m.pid as number));
    for (const m of members) {
      assert.match(m.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(m.dataDir, join(clusterDir, m.id, 'data'));
      const health = await fetch(`${m.url.replace('ws:', 'http:')}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { id: string }).id, m.id);
      assert.ok((await stat(m.logFile)).size > 0, 'the node logs to its node.log');
    }
    assert.equal(new Set(members.map((m) => m.url)).size, 3);

    const text = await readFile(join(clusterDir, 'cluster.json'), 'utf8');
    const token = (await cluster.auth()).token as string;
    assert.ok(token.length >= 32);
    assert.ok(!text.includes(token), 'cluster.json must not hold the token');
    const file = await readClusterFile(clusterDir);
    assert.equal(file.name, 'test-cluster');
    assert.equal(file.tokenFile, join(clusterDir, 'token'));
    assert.deepEqual(
      file.members.map(({ id, url, dataDir, pid }) => ({ id, url, dataDir, pid })),
      members.map(({ id, url, dataDir, pid }) => ({ id, url, dataDir, pid })),
    );
    assert.equal((await stat(file.tokenFile)).mode & 0o777, 0o600);
  });

  it('elects a leader that answers writes', async () => {
    const { connection, kv, close } = await connect();
    try {
      const leader = await connection.waitForLeader(10_000);
      assert.ok(['n1', 'n2', 'n3'].includes(leader.id as string));
      assert.equal((await retryNotApplied(() => kv.put('hosted', 'yes'))).ok, true);
    } finally {
      close();
    }
  });

  it('kill() SIGKILLs a member, as an exit it expected', async () => {
    const before = cluster.member('n2');
    const exited = nextEvent(cluster, (e) => e.type === 'exited');
    await cluster.kill('n2');
    assert.deepEqual(await exited, { ...(await exited), type: 'exited', id: 'n2', pid: before.pid, signal: 'SIGKILL', expected: true });
    assert.equal(cluster.member('n2').state, 'stopped');
    assert.equal(cluster.member('n2').pid, null);
    assert.equal(isRunning(before.pid as number), false);
    assert.equal((await readClusterFile(clusterDir)).members[1].pid, null);
  });

  it('says why a member cannot start when its port is taken; restart() brings it back on that port', async () => {
    const { url } = cluster.member('n2');
    // It refuses everything: the other members keep dialling n2's port.
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(Number(new URL(url).port), '127.0.0.1', resolve));
    try {
      await assert.rejects(cluster.start('n2'), (error: Error) => {
        assert.ok(error instanceof NodeStartError);
        assert.equal(error.portInUse, true);
        assert.match(error.message, /^n2 did not start: exited \(exit code 1\); its log .*node\.log ends: .*already in use/);
        return true;
      });
      assert.equal(cluster.member('n2').state, 'exited');
      assert.equal(cluster.member('n2').lastExit?.code, 1);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    await cluster.restart('n2');
    const after = cluster.member('n2');
    pidsSeen.push(after.pid as number);
    assert.equal(after.state, 'running');
    assert.equal(after.url, url, 'a member keeps its URL: the others know it by it');
  });

  it('records an exit it did not cause and, with restartOnExit, starts the member again', async () => {
    const victim = cluster.member('n3');
    const exited = nextEvent(cluster, (e) => e.type === 'exited' && e.id === 'n3');
    const restarted = nextEvent(cluster, (e) => e.type === 'started' && e.id === 'n3');
    process.kill(victim.pid as number, 'SIGKILL');
    const exit = await exited;
    assert.equal(exit.type === 'exited' && exit.expected, false);
    assert.equal(cluster.member('n3').lastExit?.signal, 'SIGKILL');
    await restarted;
    pidsSeen.push(cluster.member('n3').pid as number);
    assert.equal(cluster.member('n3').state, 'running');
    assert.equal(cluster.member('n3').lastExit?.expected, false);
  });

  it('pause() and resume() stop and continue the process', async () => {
    const pid = cluster.member('n1').pid as number;
    cluster.pause('n1');
    assert.equal(cluster.member('n1').state, 'paused');
    await eventually(() => isStopped(pid), 2_000, 'n1 stopped');
    cluster.resume('n1');
    assert.equal(cluster.member('n1').state, 'running');
    await eventually(() => !isStopped(pid), 2_000, 'n1 running again');
  });

  it('addMember() starts a --join node that a leader can add; retire() drops it', async () => {
    const added = await cluster.addMember();
    assert.equal(added.id, 'n4');
    pidsSeen.push(cluster.member('n4').pid as number);
    assert.equal(cluster.member('n4').joined, true);
    assert.deepEqual((await readClusterFile(clusterDir)).members.map((m) => m.id), ['n1', 'n2', 'n3', 'n4']);

    const { connection, close } = await connect();
    try {
      await connection.waitForLeader(10_000);
      await connection.leaderAdmin().addMember(added.id, added.url, { learner: true });
      await connection.waitUntil((c) => c.leader()?.status?.config.learners.includes('n4') === true, 5_000, 'the leader to list n4 as a learner');
      await connection.leaderAdmin().removeMember('n4');
    } finally {
      close();
    }
    const pid = cluster.member('n4').pid as number;
    await cluster.retire('n4');
    assert.equal(isRunning(pid), false);
    assert.deepEqual(cluster.members().map((m) => m.id), ['n1', 'n2', 'n3']);
    assert.deepEqual((await readClusterFile(clusterDir)).members.map((m) => m.id), ['n1', 'n2', 'n3']);
    assert.equal((await cluster.addMember().then(async (m) => (await cluster.retire(m.id), m.id))), 'n5', 'a retired id is not reused');
  });

  it('stop() leaves no process; open() starts them all again from DIR, data intact', async () => {
    const pids = cluster.members().map((m) => m.pid as number);
    const urls = cluster.urls();
    await cluster.stop();
    for (const pid of pids) assert.equal(isRunning(pid), false, `pid ${pid} still runs`);
    assert.deepEqual(cluster.members().map((m) => m.state), ['stopped', 'stopped', 'stopped']);
    assert.deepEqual((await readClusterFile(clusterDir)).members.map((m) => m.pid), [null, null, null]);

    cluster = await LocalCluster.open(clusterDir);
    pidsSeen.push(...cluster.members().map((m) => m.pid as number));
    assert.deepEqual(cluster.urls(), urls);
    assert.deepEqual(cluster.members().map((m) => m.state), ['running', 'running', 'running']);
    const { connection, kv, close } = await connect();
    try {
      await connection.waitForLeader(10_000);
      assert.equal((await retryNotApplied(() => kv.get('hosted'))).value, 'yes');
    } finally {
      close();
    }
  });

  it('detach() leaves the members running; open() adopts them by pid', async () => {
    const pids = cluster.members().map((m) => m.pid);
    await cluster.detach();
    for (const pid of pids) assert.equal(isRunning(pid as number), true);
    cluster = await LocalCluster.open(clusterDir);
    assert.deepEqual(cluster.members().map((m) => m.pid), pids, 'the same processes, not new ones');
    const exited = nextEvent(cluster, (e) => e.type === 'exited');
    await cluster.kill('n1');
    assert.equal((await exited).type, 'exited', 'the exit of an adopted member is seen too');
    await cluster.stop();
    for (const pid of pids) assert.equal(isRunning(pid as number), false);
  });

  it('refuses bad options with a clear error', async () => {
    await assert.rejects(LocalCluster.create({ dir: join(dir, 'x'), size: 8 }), /size must be a whole number from 1 to 7/);
    await assert.rejects(LocalCluster.create({ dir: join(dir, 'x'), size: 0 }), /size must be/);
    await assert.rejects(LocalCluster.create({ dir: join(dir, 'x'), name: 'bad name' }), /cluster name "bad name"/);
    await assert.rejects(LocalCluster.create({ dir: join(dir, 'x'), nodeArgs: ['--peers', 'a=b'] }), /--peers is set by the host/);
    await assert.rejects(LocalCluster.create({ dir: clusterDir }), /already holds a cluster; open it instead/);
    await assert.rejects(LocalCluster.open(join(dir, 'nothing')), /holds no hosted cluster \(cluster\.json is missing\)/);
    await assert.rejects(cluster.kill('n9'), /no member "n9"/);
  });
});

describe('the host process ending', () => {
  for (const mode of ['SIGTERM', 'exit'] as const) {
    it(`takes its members with it (${mode})`, { timeout: 30_000 }, async () => {
      const dir = await tempDir('host-exit');
      let pids: number[] = [];
      // Run from another folder: the host finds raft-node from the package root, not the cwd.
      const script = join(import.meta.dirname, 'support/host-script.ts');
      const host = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, join(dir, 'c'), mode === 'exit' ? 'exit' : 'wait'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
        const line = await new Promise<string>((resolve, reject) => {
          host.stdout.once('data', (data: Buffer) => resolve(data.toString()));
          host.once('exit', () => reject(new Error('the host exited before reporting its members')));
        });
        pids = JSON.parse(line) as number[];
        assert.equal(pids.length, 1);
        // In "exit" mode the host may already be gone, and its member with it, by now.
        if (mode === 'SIGTERM') assert.equal(isRunning(pids[0]), true);
        if (mode === 'SIGTERM') host.kill('SIGTERM');
        assert.equal(await exited, mode === 'SIGTERM' ? 143 : 0);
        await eventually(() => !isRunning(pids[0]), 5_000, 'the member to be gone');
        if (mode === 'SIGTERM') assert.deepEqual((await readClusterFile(join(dir, 'c'))).members.map((m) => m.pid), [null], 'a clean stop is recorded');
      } finally {
        host.kill('SIGKILL');
        await tearDown(undefined, dir, pids);
      }
      assert.equal(existsSync(dir), false);
    });
  }
});
