// Crashes and restarts of real raft-node processes: SIGKILL of the leader under writes, a
// follower that returns after compaction, clean SIGTERM shutdowns, and damaged write-ahead logs.
import assert from 'node:assert/strict';
import { appendFile, readFile, truncate, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { FRAME_BYTES } from '../../src/node/storage/wal-record.ts';
import { ClusterClient } from './support/cluster-client.ts';
import { TestCluster } from './support/cluster.ts';
import { waitConverged } from './support/convergence.ts';
import { withNodeLogs } from './support/failure-logs.ts';
import { sleep } from './support/node-process.ts';
import { lastSegment, recordSpans } from './support/wal-files.ts';
import { freshPrefix, waitUntil } from './support/wait.ts';
import type { WsClient } from './support/ws-client.ts';

const TIMING = ['--election-timeout', '300-600', '--heartbeat', '50'];
const SNAPSHOT_ENTRIES = 200;
const ALL = ['n1', 'n2', 'n3'];

describe('recovery of a three-node cluster', () => {
  let cluster: TestCluster;
  let client: ClusterClient;
  const prefix = freshPrefix('recovery');
  /** Every acknowledged write of this file: key → value. Keys are written once. */
  const acked = new Map<string, string>();

  before(async () => {
    cluster = await TestCluster.start({ size: 3, args: [...TIMING, '--snapshot-entries', String(SNAPSHOT_ENTRIES)], startTimeoutMs: 60_000 });
    client = new ClusterClient(cluster);
  });

  after(async () => {
    await client?.close();
    await cluster?.close();
  });

  /** Writes `count` fresh keys, `parallel` at a time, each retried until acknowledged. */
  async function writeMany(name: string, count: number, parallel = 20): Promise<string[]> {
    const keys = Array.from({ length: count }, (_, i) => `${prefix}-${name}-${i}`);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++];
        const value = `${key}=v`;
        assert.equal((await client.send({ op: 'put', key, value })).ok, true);
        acked.set(key, value);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return keys;
  }

  /** Reads every key in `keys` (default: all acknowledged) and compares it with what was acknowledged. */
  async function assertAllPresent(keys: Iterable<string> = acked.keys(), read: (key: string) => Promise<string | null | undefined> = linearizableGet): Promise<void> {
    const list = [...keys];
    for (let i = 0; i < list.length; i += 50) {
      const chunk = list.slice(i, i + 50);
      const values = await Promise.all(chunk.map(read));
      chunk.forEach((key, j) => assert.equal(values[j], acked.get(key), `acknowledged write of ${key} lost`));
    }
  }

  async function linearizableGet(key: string): Promise<string | null | undefined> {
    return (await client.send({ op: 'get', key })).value;
  }

  const serializableOn = (connection: WsClient) => async (key: string) =>
    (await connection.request<{ value?: string | null }>({ op: 'get', key, consistency: 'serializable' })).value;

  async function withConnection<T>(id: string, path: '/client' | '/admin', body: (c: WsClient) => Promise<T>): Promise<T> {
    const connection = await cluster.connect(id, path);
    try {
      return await body(connection);
    } finally {
      await connection.close();
    }
  }

  async function aFollower(): Promise<{ leader: string; follower: string }> {
    const leader = await cluster.waitForLeader();
    return { leader, follower: ALL.find((id) => id !== leader) as string };
  }

  test('SIGKILL of the leader during writes: a new leader takes over, no acknowledged write is lost, the old leader catches up', () =>
    withNodeLogs(cluster, async () => {
      const oldLeader = await cluster.waitForLeader();
      let stop = false;
      let ackedAfterKill = 0;
      let killed = false;
      const writer = async (w: number) => {
        for (let n = 0; !stop; n++) {
          const key = `${prefix}-kill-${w}-${n}`;
          const value = `${key}=v`;
          const answer = await client.sendOnce({ op: 'put', key, value });
          if (answer.ok) {
            acked.set(key, value);
            if (killed) ackedAfterKill++;
          } else if (answer.error?.code !== 'NOT_LEADER') await sleep(50);
        }
      };
      const writers = Array.from({ length: 6 }, (_, w) => writer(w));
      try {
        await waitUntil('50 acknowledged writes', 15_000, () => (acked.size >= 50 ? true : undefined));
        await cluster.kill(oldLeader);
        killed = true;
        await waitUntil('50 writes acknowledged after the kill', 30_000, () => (ackedAfterKill >= 50 ? true : undefined));
      } finally {
        stop = true;
        await Promise.all(writers);
      }
      const newLeader = await cluster.waitForLeader();
      assert.notEqual(newLeader, oldLeader);
      await assertAllPresent();

      await cluster.restart(oldLeader);
      await waitConverged(cluster, ALL);
      await withConnection(oldLeader, '/client', (c) => assertAllPresent(acked.keys(), serializableOn(c)));
    }));

  test('a follower that missed many writes, compacted away, catches up by snapshot', () =>
    withNodeLogs(cluster, async () => {
      const { leader, follower } = await aFollower();
      const missedFrom = (await cluster.status(follower)).lastIndex;
      await cluster.kill(follower);
      const keys = await writeMany('missed', 3 * SNAPSHOT_ENTRIES);
      const compacted = await waitUntil('the leader to compact past what the follower holds', 10_000, async () => {
        const s = await cluster.status(leader);
        return s.snapshot.index > missedFrom && s.firstIndex > missedFrom + 1 ? s : undefined;
      });
      assert.ok(compacted.snapshot.index > 0);

      // Hold the leader's messages back until both subscriptions are in place, so no event is missed.
      const admin = await cluster.admin(leader);
      assert.equal((await admin.request<{ ok: boolean }>({ op: 'fault', set: { dropTo: [follower] } })).ok, true);
      await cluster.restart(follower);
      const followerEvents = await cluster.connect(follower, '/admin');
      const leaderEvents = await cluster.connect(leader, '/admin');
      try {
        await followerEvents.request({ op: 'subscribe' });
        await leaderEvents.request({ op: 'subscribe' });
        assert.equal((await admin.request<{ ok: boolean }>({ op: 'fault', clear: true })).ok, true);
        const installed = await followerEvents.waitFor<{ index: number; bytes: number }>((f) => f.event === 'snapshot' && f.action === 'installed', 20_000);
        assert.ok(installed.index >= compacted.snapshot.index, `installed snapshot ${installed.index}`);
        assert.ok(installed.bytes > 0);
        const sent = await leaderEvents.waitFor<{ index: number }>((f) => f.event === 'snapshot' && f.action === 'sent' && f.peer === follower, 10_000);
        assert.equal(sent.index, installed.index);
      } finally {
        await followerEvents.close();
        await leaderEvents.close();
      }
      const statuses = await waitConverged(cluster, ALL);
      assert.ok(statuses[ALL.indexOf(follower)].snapshot.index > 0, 'the follower reports its snapshot');
      await withConnection(follower, '/client', (c) => assertAllPresent(keys, serializableOn(c)));
    }));

  test('SIGTERM shuts every member down with exit 0; restarted, they keep every write', () =>
    withNodeLogs(cluster, async () => {
      await writeMany('before-sigterm', 20);
      const processes = ALL.map((id) => cluster.member(id).process);
      await Promise.all(ALL.map((id) => cluster.stop(id)));
      for (const [i, p] of processes.entries()) {
        assert.deepEqual(await p.exited, { code: 0, signal: null }, `${ALL[i]} exit`);
        assert.match(p.stderr, /"msg":"stopped"/);
      }
      await Promise.all(ALL.map((id) => cluster.restart(id)));
      await cluster.waitForLeader();
      await assertAllPresent();
      await waitConverged(cluster, ALL);
    }));

  test('garbage after the last WAL record is cut off with a warning; the member serves and catches up', () =>
    withNodeLogs(cluster, async () => {
      const { follower } = await aFollower();
      await cluster.stop(follower);
      const segment = await lastSegment(cluster.member(follower).dataDir);
      await appendFile(segment, 'garbage after the last record, as from a torn write');
      const keys = await writeMany('while-torn', 10);
      const restarted = await cluster.restart(follower);
      assertTornTailWarning(restarted.process.stderr, segment);
      await waitConverged(cluster, ALL);
      await withConnection(follower, '/client', (c) => assertAllPresent(keys, serializableOn(c)));
    }));

  test('a last WAL record cut in the middle is dropped with a warning; the member serves and catches up', () =>
    withNodeLogs(cluster, async () => {
      const { follower } = await aFollower();
      await cluster.stop(follower);
      const segment = await lastSegment(cluster.member(follower).dataDir);
      const spans = await recordSpans(segment);
      const last = spans[spans.length - 1];
      await truncate(segment, last.offset + Math.floor((last.end - last.offset) / 2));
      const keys = await writeMany('while-cut', 10);
      const restarted = await cluster.restart(follower);
      assertTornTailWarning(restarted.process.stderr, segment);
      await waitConverged(cluster, ALL);
      await withConnection(follower, '/client', (c) => assertAllPresent(keys, serializableOn(c)));
    }));

  test('a damaged record in the middle of the WAL stops the member with one stderr line naming the file and offset', () =>
    withNodeLogs(cluster, async () => {
      const { follower } = await aFollower();
      await cluster.stop(follower);
      const segment = await lastSegment(cluster.member(follower).dataDir);
      const spans = await recordSpans(segment);
      assert.ok(spans.length >= 3, `only ${spans.length} records in ${segment}`);
      const damaged = spans[Math.floor(spans.length / 2)];
      const bytes = await readFile(segment);
      bytes[damaged.offset + FRAME_BYTES] ^= 0xff;
      await writeFile(segment, bytes);

      await assert.rejects(cluster.restart(follower), /exited before it was healthy/);
      const refused = cluster.member(follower).process;
      assert.deepEqual(await refused.exited, { code: 1, signal: null });
      const lines = refused.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `want one stderr line, got:\n${refused.stderr}`);
      assert.equal(lines[0], `raft-node: write-ahead log segment ${segment} is corrupt at byte offset ${damaged.offset}: checksum mismatch`);

      // The two others still make a majority.
      await writeMany('after-refusal', 5);
      await assertAllPresent();
    }));
});

function assertTornTailWarning(stderr: string, segment: string): void {
  const warnings = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((entry) => entry.level === 40 && entry.msg.includes('cut off a torn write'));
  assert.equal(warnings.length, 1, `want one torn-tail warning, got:\n${stderr}`);
  assert.ok(warnings[0].msg.includes(segment), warnings[0].msg);
}
