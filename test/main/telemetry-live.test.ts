// Telemetry of a real hosted cluster: its numbers match the nodes' own statuses; it pushes at most
// 10 updates a second under a burst of writes; it records snapshots and the election after a kill.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeStatus } from '../../src/shared/protocol/node-status.ts';
import type { TelemetryUpdate } from '../../src/shared/telemetry.ts';
import { ClusterConnection } from '../../src/main/connection/cluster-connection.ts';
import { KvClient } from '../../src/main/connection/kv-client.ts';
import type { LocalCluster } from '../../src/main/hosting/local-cluster.ts';
import { Telemetry } from '../../src/main/telemetry/telemetry.ts';
import { eventually, hostCluster, PATIENT_NODE_ARGS, retryNotApplied, tearDown } from './support/hosted.ts';

/** Where telemetry's summary differs from the members' own statuses; '' when it does not. */
async function compare(c: ClusterConnection, t: Telemetry): Promise<string> {
  const leader = c.leader();
  if (!leader) return 'no leader';
  const leaderStatus = await c.admin(leader.url).status();
  if (Object.values(leaderStatus.progress ?? {}).some((p) => p.lagEntries > 0)) return 'followers still catching up';
  const own = new Map<string, NodeStatus>();
  for (const member of c.memberViews()) own.set(member.id as string, await c.admin(member.url).status());
  const asked = Date.now();
  try {
    await eventually(() => t.summary().members.every((m) => (m.statusAt ?? 0) > asked), 3_000, 'telemetry to see newer statuses');
  } catch (error) {
    return (error as Error).message;
  }
  const summary = t.summary();
  const problems: string[] = [];
  const check = (what: string, seen: unknown, truth: unknown): void => {
    if (seen !== truth) problems.push(`${what}: telemetry ${String(seen)}, node ${String(truth)}`);
  };
  check('leader', summary.leaderId, leader.id);
  check('term', summary.term, own.get(leader.id as string)?.term);
  check('members', summary.members.length, 3);
  for (const member of summary.members) {
    const status = own.get(member.id) as NodeStatus;
    check(`${member.id} commit index`, member.commitIndex, status.commitIndex);
    check(`${member.id} applied index`, member.appliedIndex, status.appliedIndex);
    check(`${member.id} role`, member.role, status.role);
    check(`${member.id} wal bytes`, member.walBytes, status.wal.bytes);
    check(`${member.id} connection`, member.connection, 'connected');
    if (member.id !== leader.id) check(`${member.id} lag`, member.lag?.lagEntries, own.get(leader.id as string)?.progress?.[member.id].lagEntries);
  }
  return problems.join('; ');
}

describe('Telemetry of a real cluster', () => {
  let cluster: LocalCluster | undefined;
  let dir: string | undefined;
  let connection: ClusterConnection | undefined;
  let kv: KvClient | undefined;
  let telemetry: Telemetry | undefined;

  before(async () => {
    ({ cluster, dir } = await hostCluster({ nodeArgs: PATIENT_NODE_ARGS }));
    const auth = await cluster.auth();
    connection = new ClusterConnection(cluster.urls(), { auth, backoff: { initialMs: 50, maxMs: 300, jitter: 0.5 } });
    telemetry = new Telemetry(connection);
    kv = new KvClient(cluster.urls(), { auth });
    await connection.waitForLeader(10_000);
  });
  after(async () => {
    telemetry?.close();
    kv?.close();
    connection?.close();
    await tearDown(cluster, dir);
  });

  it("matches the nodes' own status: leader, commit index, lag", async () => {
    const c = connection as ClusterConnection;
    const t = telemetry as Telemetry;
    for (let i = 0; i < 20; i++) await retryNotApplied(() => (kv as KvClient).put(`k${i}`, `v${i}`));
    // Quiet from here: once the followers caught up nothing moves, so both sides must agree.
    // (A leader change on a starved machine would move things: then compare again.)
    let mismatch = 'not compared yet';
    await eventually(async () => {
      mismatch = await compare(c, t);
      return mismatch === '';
    }, 10_000, 'telemetry to agree with the nodes').catch((error: Error) => assert.fail(`${error.message}: ${mismatch}`));
    assert.ok(t.summary().members.every((m) => m.commitIndex >= 21), 'the 20 writes are committed everywhere');
    for (const member of t.summary().members) {
      if (member.id !== t.summary().leaderId) assert.ok((t.snapshot().lag[member.id] ?? []).length > 0, `a lag series for ${member.id}`);
    }
  });

  it('pushes at most 10 updates a second under a burst of writes', { timeout: 20_000 }, async () => {
    const t = telemetry as Telemetry;
    const updates: { at: number; update: TelemetryUpdate }[] = [];
    const stop = t.subscribe((update) => updates.push({ at: performance.now(), update }));
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < 1_500) {
        const key = `burst-${next++}`;
        await retryNotApplied(() => (kv as KvClient).put(key, 'x'));
      }
    };
    await Promise.all(Array.from({ length: 30 }, writer));
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop();

    assert.ok(updates.length >= 3, `${updates.length} updates`);
    for (let k = 1; k < updates.length; k++) {
      const gap = updates[k].at - updates[k - 1].at;
      assert.ok(gap >= 95, `updates ${k - 1} and ${k} came ${gap.toFixed(1)} ms apart`);
    }
    const rates = updates.map(({ update }) => update.summary.commitRate);
    assert.ok(Math.max(...rates) > 0, 'the burst shows as a commit rate');
  });

  it('records a snapshot with its index and size', async () => {
    const c = connection as ClusterConnection;
    const t = telemetry as Telemetry;
    const leader = await c.waitForLeader(5_000);
    const taken = await c.leaderAdmin().snapshot();
    assert.ok(taken.bytes > 0);
    await eventually(() => (t.snapshot().snapshots[leader.id as string] ?? []).some((s) => s.action === 'created' && s.index === taken.index), 3_000, 'the snapshot in telemetry');
    const record = t.snapshot().snapshots[leader.id as string].find((s) => s.index === taken.index);
    assert.equal(record?.bytes, taken.bytes);
  });

  it('records the election after the leader is killed, with the time without a leader', async () => {
    const c = connection as ClusterConnection;
    const t = telemetry as Telemetry;
    const old = await c.waitForLeader(5_000);
    const oldTerm = t.summary().term;
    await cluster?.kill(old.id as string);
    await eventually(() => t.summary().leaderId !== null && t.summary().leaderId !== old.id, 10_000, 'a new leader in telemetry');
    const summary = t.summary();
    assert.ok(summary.term > oldTerm);
    const election = t.snapshot().elections.find((e) => e.term === summary.term);
    assert.equal(election?.winner, summary.leaderId);
    assert.ok(election?.candidates.includes(summary.leaderId as string));
    assert.ok((election?.leaderlessMs ?? 0) > 0, `leaderless for ${election?.leaderlessMs} ms`);
    assert.equal(summary.members.find((m) => m.id === old.id)?.connection, 'unreachable');
    const roles = t.snapshot().roles.filter((r) => r.memberId === summary.leaderId);
    assert.equal(roles.at(-1)?.role, 'leader');
  });
});
