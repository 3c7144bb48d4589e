// The app's service switching between its hosted cluster and a remote one, all real raft-node
// processes: a separately hosted 3-node cluster with a token plays the remote cluster. Connecting
// to one of its URLs discovers every member; bad settings fail clearly and leave the hosted cluster
// watched; a saved profile keeps the token file's path, never the token; a member started with
// --join is added by id and URL; a crashed remote member shows unreachable; hostLocal brings the
// local cluster back from its folder.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppService } from '../../src/main/app-service.ts';
import { readClusterFile } from '../../src/main/hosting/cluster-file.ts';
import { freePort } from '../../src/main/hosting/free-port.ts';
import type { LocalCluster } from '../../src/main/hosting/local-cluster.ts';
import { isAlive } from '../../src/main/hosting/node-process.ts';
import type { ClusterUpdate } from '../../src/shared/api.ts';
import { eventually, hostCluster, PATIENT_NODE_ARGS, tearDown, tempDir } from './support/hosted.ts';

const WAIT_MS = 20_000;

/** The snapshot once `check` holds for it. */
async function snapshotWhen(service: AppService, what: string, check: (snapshot: ClusterUpdate) => boolean): Promise<ClusterUpdate> {
  let snapshot: ClusterUpdate | undefined;
  await eventually(
    async () => {
      snapshot = await service.clusterSnapshot();
      return check(snapshot);
    },
    WAIT_MS,
    `${what}; last seen: ${JSON.stringify(snapshot?.members.map((m) => [m.id, m.url, m.role, m.connection]))}`,
  );
  return snapshot as ClusterUpdate;
}

const hasLeader = (snapshot: ClusterUpdate, count: number): boolean =>
  snapshot.members.length === count && snapshot.leaderId !== null && snapshot.members.filter((m) => m.role === 'leader').length === 1 && snapshot.members.every((m) => m.reachable);

function pids(snapshot: ClusterUpdate): number[] {
  return snapshot.members.flatMap((m) => (m.process?.pid ? [m.process.pid] : []));
}

describe('AppService with a remote cluster', () => {
  let dir: string | undefined;
  let remoteDir: string | undefined;
  let remote: LocalCluster | undefined;
  let service: AppService | undefined;
  /** Every raft-node the app hosted, to check none outlives the test. */
  const hostedPids = new Set<number>();

  before(async () => {
    dir = await tempDir('app-service-remote');
    ({ cluster: remote, dir: remoteDir } = await hostCluster({ name: 'faraway', nodeArgs: PATIENT_NODE_ARGS }));
    service = new AppService({ dir: join(dir, 'clusters', 'local'), nodeArgs: PATIENT_NODE_ARGS });
    for (const pid of pids(await snapshotWhen(service, 'the local cluster with a leader', (s) => hasLeader(s, 3)))) hostedPids.add(pid);
  });

  after(async () => {
    try {
      await service?.stop();
    } finally {
      await tearDown(remote, remoteDir);
      for (const pid of hostedPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      if (dir) await tearDown(undefined, dir);
    }
    assert.deepEqual([...hostedPids].filter(isAlive), [], 'hosted raft-node processes outlived the test');
  });

  it('refuses bad settings clearly and goes on watching the local cluster', async () => {
    assert.ok(service && remote && dir);
    const [url] = remote.urls();
    const missing = join(dir, 'no-such-token');
    await assert.rejects(service.connectRemote({ urls: [url], tokenFile: missing }), { message: `token file ${missing} does not exist` });

    const wrongToken = join(dir, 'wrong-token');
    await writeFile(wrongToken, 'not-the-token\n');
    await assert.rejects(service.connectRemote({ urls: [url], tokenFile: wrongToken }), (error: Error) => {
      assert.match(error.message, new RegExp(`^none of ${url} answered: ${url}: .*401`));
      return true;
    });

    const silent = `ws://127.0.0.1:${await freePort()}`;
    const started = performance.now();
    await assert.rejects(service.connectRemote({ urls: [silent], tokenFile: remote.tokenFile }), new RegExp(`^Error: none of ${silent} answered: ${silent}: `));
    assert.ok(performance.now() - started < 12_000, 'a refused URL fails within the 10 s bound');

    const local = await service.clusterSnapshot();
    await assert.rejects(service.connectRemote({ urls: [local.members[0].url] }), {
      message: `${local.members[0].url} is a member of the app's own local cluster, which it watches already`,
    });
    // The same member under another name: told apart by its pid, not by the URL's text.
    const localhost = local.members[0].url.replace('127.0.0.1', 'localhost');
    await assert.rejects(service.connectRemote({ urls: [localhost], tokenFile: join(dir, 'clusters', 'local', 'token') }), {
      name: 'OperationError',
      message: `${localhost} is n1 of the app's own local cluster, which it watches already`,
    });
    const after = await service.clusterSnapshot();
    assert.deepEqual(pids(after), pids(local), 'the hosted members were not stopped');
    assert.equal(after.cluster.source.kind, 'hosted');
    assert.equal(local.cluster.source.kind, 'hosted');
    assert.ok(hasLeader(local, 3), 'the local cluster is still watched, with a leader');
    assert.ok(local.members.every((m) => m.process?.state === 'running'));
  });

  it('connects to one URL of the remote cluster: every member discovered, a leader, the hosted members stopped', async () => {
    assert.ok(service && remote && dir);
    const urls = remote.urls();
    const updates: ClusterUpdate[] = [];
    const unsubscribe = service.subscribe((update) => updates.push(update));
    try {
      await eventually(() => updates.length > 0, 5_000, 'a first update');
      const connecting = service.connectRemote({ urls: [urls[1]], tokenFile: remote.tokenFile, saveAs: 'faraway-1' });
      // The switch is an operation: nothing else meanwhile.
      await assert.rejects(service.healAll(), new RegExp(`^OperationError: Connecting to ${urls[1]} is under way`));
      await connecting;

      const seen = await snapshotWhen(service, 'three remote members with a leader', (s) => hasLeader(s, 3));
      assert.deepEqual(seen.cluster, { name: 'faraway', source: { kind: 'remote', urls: [urls[1]], profile: 'faraway-1' } });
      assert.deepEqual(seen.members.map((m) => m.url).sort(), [...urls].sort());
      assert.ok(seen.members.every((m) => m.process === null), 'the app hosts none of them');

      // The subscriber now follows the remote cluster, starting with a full update.
      await eventually(() => updates.some((u) => u.full && u.cluster.source.kind === 'remote'), 5_000, 'a full update of the remote cluster');
      const switchedAt = updates.findIndex((u) => u.cluster.source.kind === 'remote');
      assert.equal(updates[switchedAt].full, true);

      // The hosted members were stopped cleanly; their folder remembers them.
      assert.deepEqual([...hostedPids].filter(isAlive), [], 'the hosted members are stopped');
      const file = await readClusterFile(join(dir, 'clusters', 'local'));
      assert.deepEqual(file.members.map((m) => m.pid), [null, null, null]);
    } finally {
      unsubscribe();
    }

    // The profile holds where the token is, never the token.
    const token = (await readFile(remote.tokenFile, 'utf8')).trim();
    const text = await readFile(join(dir, 'clusters', 'profiles', 'faraway-1.json'), 'utf8');
    assert.ok(!text.includes(token), 'the profile does not hold the token');
    assert.deepEqual(await service.listProfiles(), { profiles: [{ name: 'faraway-1', urls: [urls[1]], tokenFile: remote.tokenFile }], problems: [] });
  });

  it('adds a member its operator started with --join, given its id and URL', async () => {
    assert.ok(service && remote);
    await assert.rejects(service.addMember(), /a remote cluster adds a member that runs already: start it with raft-node --join/);
    // A voter already: no advice to remove it, since this call did not change the configuration.
    await assert.rejects(service.addMember({ id: 'n1', url: remote.urls()[0] }), { name: 'OperationError', message: 'n1 is already a voter' });
    const joiner = await remote.addMember(); // the remote side starts it, as its operator would
    assert.deepEqual(await service.addMember(joiner), joiner);
    const seen = await snapshotWhen(service, `${joiner.id} as a fourth member`, (s) => hasLeader(s, 4));
    assert.ok(seen.members.some((m) => m.id === joiner.id && m.url === joiner.url && m.role !== 'learner'));
  });

  it('partitions and heals a remote member through its fault lists, and drills the remote cluster with its token', async () => {
    assert.ok(service && remote);
    const before = await snapshotWhen(service, 'a remote leader', (s) => hasLeader(s, 4));
    const follower = before.members.find((m) => m.role === 'follower');
    assert.ok(follower);
    await service.partitionMember(follower.id);
    const others = before.members.map((m) => m.id).filter((id) => id !== follower.id).sort();
    await snapshotWhen(service, `${follower.id} cut off from the others`, (s) => s.members.find((m) => m.id === follower.id)?.cutOffFrom.join() === others.join());
    await assert.rejects(service.partitionMember(others[0]), /a partition is in force already/);
    await service.healAll();
    await snapshotWhen(service, 'no partition left', (s) => s.members.every((m) => m.cutOffFrom.length === 0) && hasLeader(s, 4));

    const report = await service.runDrill({ scenario: 'partition-leader', rounds: 1, faultMs: 1_000 });
    assert.equal(report.verdict, 'linearizable');
    assert.equal(report.lostWrites, 0);
    assert.equal(report.rounds.length, 1);
    assert.ok(report.ops.ok > 0, 'the workload reached the remote cluster with its token');
    assert.match(report.historyFile, /remote-drills/);
    await snapshotWhen(service, 'the remote cluster healed after the drill', (s) => s.members.every((m) => m.cutOffFrom.length === 0) && hasLeader(s, 4));
  });

  it('crashes a remote follower (the crash op): it shows unreachable; restarting it is refused', async () => {
    assert.ok(service && remote);
    const before = await snapshotWhen(service, 'a remote leader', (s) => hasLeader(s, 4));
    const follower = before.members.find((m) => m.role === 'follower');
    assert.ok(follower);
    await service.killMember(follower.id);
    const after = await snapshotWhen(service, `${follower.id} unreachable`, (s) => s.members.some((m) => m.id === follower.id && !m.reachable && m.connection === 'unreachable'));
    assert.equal(after.members.length, 4, 'the crashed member still has its card');
    await assert.rejects(service.restartMember(follower.id), { message: `${follower.id} is a member of a remote cluster: restart it where it runs` });
    await eventually(() => remote?.member(follower.id).state === 'exited', 5_000, `${follower.id}'s process to exit`);
  });

  it('hosts the local cluster again from its folder, at the same URLs', async () => {
    assert.ok(service && dir);
    const file = await readClusterFile(join(dir, 'clusters', 'local'));
    await service.hostLocal();
    const local = await snapshotWhen(service, 'the local cluster with a leader again', (s) => hasLeader(s, 3));
    for (const pid of pids(local)) hostedPids.add(pid);
    assert.deepEqual(local.cluster, { name: 'local', source: { kind: 'hosted', dir: join(dir, 'clusters', 'local') } });
    assert.deepEqual(local.members.map((m) => m.url), file.members.map((m) => m.url));
    assert.ok(local.members.every((m) => m.process?.state === 'running'));
    // Asked again (the page recovering from a failed first load, say): nothing to do, and no error.
    await service.hostLocal();
    const again = await service.clusterSnapshot();
    assert.deepEqual(pids(again), pids(local), 'the members were not restarted');
    assert.equal(again.cluster.source.kind, 'hosted');
  });
});
