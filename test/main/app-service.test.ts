// The app's service with real raft-node processes: it creates the local cluster on first start,
// reopens the same one on the next, reports it (members, leader, pushed updates), carries out one
// operation at a time, and leaves no process behind when stopped.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppService } from '../../src/main/app-service.ts';
import { isAlive } from '../../src/main/hosting/node-process.ts';
import type { ClusterUpdate } from '../../src/shared/api.ts';
import { eventually, PATIENT_NODE_ARGS, tempDir } from './support/hosted.ts';

async function leaderSnapshot(service: AppService): Promise<ClusterUpdate> {
  let snapshot: ClusterUpdate | undefined;
  await eventually(
    async () => {
      snapshot = await service.clusterSnapshot();
      return snapshot.leaderId !== null && snapshot.members.filter((m) => m.role === 'leader').length === 1;
    },
    15_000,
    'a leader in the snapshot',
  );
  return snapshot as ClusterUpdate;
}

function pids(snapshot: ClusterUpdate): number[] {
  return snapshot.members.flatMap((m) => (m.process?.pid ? [m.process.pid] : []));
}

/**
 * Runs `test` against a fresh service hosting a 3-node cluster with a leader; stops it and checks
 * that no raft-node it started outlives the test, on failure too.
 */
async function withHostedService(name: string, test: (service: AppService, seen: number[]) => Promise<void>): Promise<void> {
  const dir = await tempDir(name);
  const service = new AppService({ dir: join(dir, 'cluster'), nodeArgs: PATIENT_NODE_ARGS });
  const seen: number[] = [];
  try {
    seen.push(...pids(await leaderSnapshot(service)));
    await test(service, seen);
  } finally {
    await service.stop();
    for (const pid of seen) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
  assert.deepEqual(seen.filter(isAlive), []);
}

describe('AppService', () => {
  it('creates the local cluster, reopens it on the next start, and stops it cleanly', async () => {
    const dir = await tempDir('app-service');
    const clusterDir = join(dir, 'clusters', 'local');
    const seen: number[] = [];
    let first: AppService | undefined = new AppService({ dir: clusterDir, nodeArgs: PATIENT_NODE_ARGS });
    let second: AppService | undefined;
    try {
      const created = await leaderSnapshot(first);
      assert.equal(created.full, true);
      assert.deepEqual(created.cluster, { name: 'local', source: { kind: 'hosted', dir: clusterDir } });
      assert.deepEqual(created.members.map((m) => m.id), ['n1', 'n2', 'n3']);
      assert.ok(created.members.every((m) => m.reachable && m.process?.state === 'running'));
      seen.push(...pids(created));
      assert.equal(seen.length, 3);

      // Pushed updates: a full one first.
      const updates: ClusterUpdate[] = [];
      const unsubscribe = first.subscribe((update) => updates.push(update));
      await eventually(() => updates.length >= 2, 5_000, 'two pushed updates');
      unsubscribe();
      assert.equal(updates[0].full, true);
      assert.equal(updates[1].full, false);
      assert.ok(updates[0].log.some((entry) => entry.kind === 'election'), 'the full update tells the election');

      await first.stop();
      assert.deepEqual(seen.filter(isAlive), [], 'stop leaves no raft-node running');
      await assert.rejects(first.clusterSnapshot(), /stopping/);
      first = undefined;

      second = new AppService({ dir: clusterDir });
      const reopened = await leaderSnapshot(second);
      assert.deepEqual(
        reopened.members.map((m) => m.url),
        created.members.map((m) => m.url),
        'the same members, at the same URLs',
      );
      seen.push(...pids(reopened));
      await assert.rejects(second.killMember('n9'), /no member "n9"/);
      await second.stop();
      assert.deepEqual(seen.filter(isAlive), []);
      second = undefined;
    } finally {
      await first?.stop();
      await second?.stop();
      for (const pid of seen) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports the operation under way, and refuses another until it is done', () =>
    withHostedService('app-service-ops', async (service, seen) => {
      const adding = service.addMember();
      await eventually(async () => (await service.clusterSnapshot()).operation?.name === 'Adding a member', 5_000, 'the operation in the snapshot');
      await assert.rejects(service.healAll(), (error: Error) => {
        assert.equal(error.name, 'OperationError');
        assert.match(error.message, /^Adding a member is under way \(for \d+ s\): one operation at a time; try again once it is done$/);
        return true;
      });
      assert.deepEqual(await adding, { id: 'n4', url: (await service.clusterSnapshot()).members[3].url });
      const after = await service.clusterSnapshot();
      assert.equal(after.operation, null);
      assert.deepEqual(after.members.map((m) => [m.id, m.process?.state]), [['n1', 'running'], ['n2', 'running'], ['n3', 'running'], ['n4', 'running']]);
      seen.push(...pids(after));
      await service.healAll();
    }));

  it('refuses a second partition right after the first, until healAll', () =>
    withHostedService('app-service-partition', async (service) => {
      await service.partitionMember('n1');
      // At once: the statuses polled every 250 ms may not show n1's drop lists yet.
      await assert.rejects(service.partitionMember('n3'), (error: Error) => {
        assert.equal(error.name, 'OperationError');
        assert.match(error.message, /^a partition is in force already \(n1 cut off/);
        return true;
      });
      await service.healAll();
      await service.partitionMember('n3');
      await assert.rejects(service.partitionMember('n2'), /^OperationError: a partition is in force already \(n3 cut off/);
      await service.healAll();
    }));

  it('abandons a drill under way when stopped, and waits for it before stopping the members', () =>
    withHostedService('app-service-stop-drill', async (service) => {
      let settled = false;
      const drill = service.runDrill({ scenario: 'partition-leader', rounds: 50, faultMs: 1_000 });
      const outcome = drill.then(
        () => 'finished',
        (error: Error) => error.message,
      );
      void outcome.then(() => (settled = true));
      await eventually(async () => /round 1:/.test((await service.clusterSnapshot()).operation?.progress ?? ''), 20_000, 'the drill in its first round');
      await service.stop();
      assert.equal(settled, true, 'stop waited for the drill');
      assert.match(await outcome, /^the drill was abandoned: the app is stopping/);
    }));

  it('says which folder could not hold a cluster', async () => {
    const dir = await tempDir('app-service-bad');
    try {
      const file = join(dir, 'not-a-folder');
      await writeFile(file, 'x');
      const service = new AppService({ dir: file });
      await assert.rejects(service.clusterSnapshot(), new RegExp(`could not start the local cluster in ${file}: `));
      await service.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
