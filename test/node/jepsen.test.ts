// A Jepsen-style test of our own: concurrent clients on a five-node cluster of real raft-node
// processes while a nemesis kills, stops, partitions and replaces members; then everything is
// healed, every key is read, and the recorded history must be linearizable with no lost write.
// A negative control proves the same check fails on a history with a stale final read.
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkHistory } from '../../src/main/check/check-history.ts';
import type { HistoryEvent } from '../../src/main/check/history.ts';
import { HistoryRecorder } from '../../src/main/check/recorder.ts';
import type { ClientAnswer } from './support/client-answer.ts';
import { TestCluster } from './support/cluster.ts';
import { waitConverged } from './support/convergence.ts';
import { Nemesis, type FaultKind } from './support/jepsen/nemesis.ts';
import { Workload } from './support/jepsen/workload.ts';
import { partition } from './support/partition.ts';
import { freshPrefix, waitUntil } from './support/wait.ts';
import type { WsClient } from './support/ws-client.ts';

const SIZE = 5;
const CLIENTS = 8;
const KEYS = 8;
const CHAOS_MS = 30_000;
const FAULTS: FaultKind[] = ['kill', 'kill-leader', 'pause', 'pause-leader', 'partition-leader', 'partition-random', 'membership'];

describe('a Jepsen-style run on five members', () => {
  let cluster: TestCluster;
  /** The history of the run, for the negative control. */
  let history: HistoryEvent[] | undefined;

  before(async () => {
    cluster = await TestCluster.start({ size: SIZE, args: ['--snapshot-entries', '300'], startTimeoutMs: 60_000 });
  });

  after(async () => {
    await cluster?.close();
  });

  test('under kills, pauses, partitions and membership churn the history stays linearizable and loses no write', async (t) => {
    const prefix = freshPrefix('jepsen');
    const historyFile = join(tmpdir(), `${prefix}.history.jsonl`);
    const recorder = new HistoryRecorder({ stream: createWriteStream(historyFile) });
    const keys = Array.from({ length: KEYS }, (_, i) => `${prefix}-k${i}`);
    const workload = new Workload({ cluster, recorder, keys, clients: CLIENTS, requestTimeoutMs: 3000 });
    const nemesis = new Nemesis({ cluster, kinds: FAULTS, durationMs: CHAOS_MS, holdMs: { min: 1500, max: 3000 }, quietMs: 1000 });
    let passed = false;
    try {
      await cluster.waitForLeader();
      workload.start();
      try {
        await nemesis.run();
      } finally {
        await nemesis.healAll();
        // The clients see the healed cluster for a moment before they stop.
        await new Promise((resolve) => setTimeout(resolve, 2000));
        await workload.stop();
      }
      const leader = await cluster.waitForLeader(30_000);
      const config = (await cluster.status(leader)).config;
      await waitConverged(cluster, [...config.voters, ...config.learners], 30_000);
      await workload.finalReads(30_000);
      history = recorder.events;

      const checkStarted = performance.now();
      const result = checkHistory(history);
      const checkMs = Math.round(performance.now() - checkStarted);
      t.diagnostic(`nemesis: ${nemesis.steps.map((s) => `${s.at}ms ${s.kind}: ${s.detail}${s.error ? ` [${s.error}]` : ''}`).join('; ')}`);
      t.diagnostic(`ops: ${JSON.stringify(result.ops)}, keys ${result.keys}, verdict ${result.verdict}, lost writes ${result.lostWrites}, checked in ${checkMs} ms`);
      assert.equal(result.verdict, 'linearizable', JSON.stringify(result.anomalies.map((a) => a.reason)));
      assert.equal(result.lostWrites, 0);
      assert.ok(result.ops.ok > 200, `only ${result.ops.ok} operations succeeded`);
      assert.ok(result.ops.failed + result.ops.unknown > 0, 'no operation failed: the nemesis never bit');
      const carriedOut = nemesis.steps.filter((s) => s.error === undefined);
      assert.ok(carriedOut.length >= 5, `only ${carriedOut.length} faults carried out without error`);
      const selfExits = cluster.started.filter(({ process }) => !process.running && process.child.signalCode === null);
      assert.deepEqual(
        selfExits.map(({ id, process }) => `${id}: ${process.stderr.trim().split('\n').slice(-3).join(' | ')}`),
        [],
        'a member exited on its own',
      );
      passed = true;
    } finally {
      await workload.stop();
      await recorder.close();
      if (passed) await rm(historyFile, { force: true });
      else t.diagnostic(`history: ${historyFile}; node logs: ${await cluster.saveLogs()}`);
    }
  });

  test('negative control: the same check rejects that history with a stale final read', () => {
    assert.ok(history, 'the run above recorded no history');
    const mutated = withStaleFinalRead(history);
    const result = checkHistory(mutated.events);
    assert.equal(result.verdict, 'not-linearizable');
    assert.ok(result.lostWrites >= 1, `lost writes: ${result.lostWrites}`);
    assert.ok(result.anomalies.some((a) => a.key === mutated.key));
  });
});

test('negative control on real processes: a stale read from a node started with --unsafe-local-reads is caught', async () => {
  const stale = await TestCluster.start({ size: 3, args: ['--unsafe-local-reads', '--election-timeout', '300-600'], startTimeoutMs: 60_000 });
  const recorder = new HistoryRecorder();
  const key = `${freshPrefix('stale')}-k`;
  try {
    const leader = await stale.waitForLeader();
    const follower = ['n1', 'n2', 'n3'].find((id) => id !== leader) as string;
    const writer = await stale.connect(leader, '/client');
    const reader = await stale.connect(follower, '/client');
    const record = async (process: number, connection: WsClient, call: { op: 'get'; key: string } | { op: 'put'; key: string; value: string }) => {
      recorder.invoke(process, call);
      const answer = await connection.request<ClientAnswer>({ ...call }, 8000);
      if (answer.ok) recorder.ok(process, answer);
      else recorder.fail(process, answer.error?.code);
      return answer;
    };
    try {
      assert.equal((await record(0, writer, { op: 'put', key, value: 'first' })).ok, true);
      await waitUntil(`${follower} to apply the first write`, 10_000, async () => {
        const get = await reader.request<ClientAnswer>({ op: 'get', key, consistency: 'serializable' });
        return get.value === 'first' ? true : undefined;
      });
      await partition(stale, [[follower], ['n1', 'n2', 'n3'].filter((id) => id !== follower)]);
      assert.equal((await record(0, writer, { op: 'put', key, value: 'second' })).ok, true);
      const read = await record(1, reader, { op: 'get', key });
      assert.equal(read.value, 'first', 'the cut-off follower answered from its own, stale state');
    } finally {
      await writer.close();
      await reader.close();
    }
    const result = checkHistory(recorder.events);
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.lostWrites, 1);
  } finally {
    await stale.close();
  }
});

/**
 * A copy of `events` whose final read of some key returns the value of an early acknowledged
 * write, as if a later acknowledged write had vanished.
 */
function withStaleFinalRead(events: readonly HistoryEvent[]): { events: HistoryEvent[]; key: string } {
  const copy = events.map((e) => ({ ...e }));
  // Pair invocations and completions by process, in order.
  const open = new Map<number, number>();
  const ops: { invoke: number; complete: number }[] = [];
  copy.forEach((e, i) => {
    if (e.type === 'invoke') open.set(e.process, i);
    else {
      ops.push({ invoke: open.get(e.process) as number, complete: i });
      open.delete(e.process);
    }
  });
  const acknowledgedWrite = (o: { invoke: number; complete: number }) => {
    const done = copy[o.complete];
    return done.type === 'ok' && (done.op === 'put' || (done.op === 'cas' && done.swapped === true));
  };
  for (const key of new Set(copy.map((e) => e.key))) {
    const onKey = ops.filter((o) => copy[o.invoke].key === key);
    const finalRead = onKey.filter((o) => copy[o.complete].type === 'ok' && copy[o.complete].op === 'get').at(-1);
    const writes = onKey.filter(acknowledgedWrite);
    const early = writes[0];
    const overwrittenLater = early && writes.some((w) => copy[w.invoke].time > copy[early.complete].time && copy[w.complete].time < copy[finalRead?.invoke ?? 0].time);
    if (!finalRead || !overwrittenLater) continue;
    const written = copy[early.invoke];
    if (written.type !== 'invoke' || (written.op !== 'put' && written.op !== 'cas')) continue;
    const read = copy[finalRead.complete];
    if (read.type !== 'ok' || read.op !== 'get' || read.value === written.value) continue;
    copy[finalRead.complete] = { ...read, value: written.value };
    return { events: copy, key };
  }
  throw new Error('no key has a final read after two acknowledged writes');
}
