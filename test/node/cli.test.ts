// raft-node as users run it: a real process per test, real sockets on 127.0.0.1, temp data dirs.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nodeStatusSchema, type NodeStatus } from '../../src/shared/protocol/node-status.ts';
import { MAX_FRAME_BYTES, MAX_VALUE_BYTES } from '../../src/shared/protocol/limits.ts';
import { TestCluster, type Member } from './support/cluster.ts';
import { freePorts } from './support/free-port.ts';
import { runRaftNode } from './support/node-process.ts';
import { WsClient } from './support/ws-client.ts';

const SPEC_FLAGS = [
  '--id',
  '--data',
  '--listen',
  '--advertise',
  '--peers',
  '--join',
  '--cluster',
  '--token-file',
  '--tls-cert',
  '--tls-key',
  '--tls-ca',
  '--election-timeout',
  '--heartbeat',
  '--snapshot-entries',
  '--fsync',
];

const SPEC_METRICS = [
  'raft_term',
  'raft_is_leader',
  'raft_commit_index',
  'raft_applied_index',
  'raft_leader_changes_total',
  'raft_proposals_committed_total',
  'raft_proposals_failed_total',
  'raft_snapshot_bytes',
  'raft_wal_fsync_duration_seconds_bucket',
  'raft_wal_fsync_duration_seconds_count',
];

type Answer = { id?: number; ok: boolean; value?: string | null; index?: number; error?: { code: string; message: string } };

let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'raft-cli-'));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

test('--help documents every flag of the SPEC', async () => {
  const run = await runRaftNode(['--help']);
  assert.equal(run.code, 0);
  for (const flag of SPEC_FLAGS) assert.match(run.stdout, new RegExp(`^\\s+${flag}\\b`, 'm'), `--help lacks ${flag}`);
  assert.match(run.stdout, /RAFT_TOKEN/);
});

describe('startup failures exit non-zero with one clear line on stderr', () => {
  let blocker: Server;
  let busyPort: number;

  before(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    busyPort = (blocker.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise((resolve) => blocker.close(resolve));
  });

  test('bad flags, a busy port, an unusable data dir', async () => {
    const ports = await freePorts(4);
    const notADir = join(scratch, 'plain-file');
    await writeFile(notADir, 'not a directory');
    const corrupt = join(scratch, 'corrupt');
    await mkdir(corrupt);
    await writeFile(join(corrupt, 'meta.json'), '{ not json');
    const node = (dataDir: string, port: number, ...more: string[]) => ['--id', 'n1', '--data', dataDir, '--listen', `127.0.0.1:${port}`, ...more];
    const peers = (port: number) => ['--peers', `n1=ws://127.0.0.1:${port}`];
    // Flag validation in depth is in options.test.ts; these check that each kind of failure
    // reaches the user as one line and a non-zero exit.
    const cases: { name: string; args: string[]; stderr: RegExp }[] = [
      { name: 'unknown flag', args: [...node(join(scratch, 'a'), ports[0]), '--bogus', '1'], stderr: /unknown flag --bogus/ },
      { name: 'bad id', args: ['--id', 'N_1', '--data', join(scratch, 'b'), '--listen', `127.0.0.1:${ports[0]}`], stderr: /--id "N_1" is not a member id/ },
      { name: 'non-loopback bind without a token', args: ['--id', 'n1', '--data', join(scratch, 'c'), '--listen', `0.0.0.0:${ports[0]}`, '--advertise', 'ws://10.0.0.1:1'], stderr: /refusing to listen on 0\.0\.0\.0 without a token/ },
      { name: 'port in use', args: node(join(scratch, 'd'), busyPort, ...peers(busyPort)), stderr: /cannot listen on 127\.0\.0\.1:\d+: the port is already in use/ },
      { name: 'data dir is a file', args: node(notADir, ports[1], ...peers(ports[1])), stderr: /data directory .*plain-file/ },
      { name: 'corrupt data dir', args: node(corrupt, ports[2], ...peers(ports[2])), stderr: /meta\.json is not valid JSON/ },
      { name: 'empty data dir with neither --peers nor --join', args: node(join(scratch, 'e'), ports[3]), stderr: /is empty: give --peers .* or --join/ },
    ];
    // Each case starts a process; they run side by side to keep the test quick.
    const results = await Promise.all(cases.map((c) => runRaftNode(c.args)));
    for (const [i, c] of cases.entries()) {
      const { code, stderr } = results[i];
      assert.notEqual(code, 0, `${c.name}: exit code`);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${c.name}: want one stderr line, got:\n${stderr}`);
      assert.match(lines[0], /^raft-node: /, c.name);
      assert.match(lines[0], c.stderr, c.name);
    }
  });
});

describe('a single-node cluster', () => {
  let cluster: TestCluster;
  let member: Member;

  before(async () => {
    cluster = await TestCluster.start({ size: 1 });
    member = cluster.member('n1');
    await cluster.waitForLeader();
  });

  after(async () => {
    await cluster.close();
  });

  test('serves /healthz and /metrics, 404 elsewhere', async () => {
    const health = await fetch(`${member.httpUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'serving', id: 'n1', cluster: 'default' });

    const metrics = await fetch(`${member.httpUrl}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    for (const name of SPEC_METRICS) assert.match(text, new RegExp(`^${name}(\\{[^}]*\\})? `, 'm'), `metrics lack ${name}`);
    assert.match(text, /^raft_is_leader 1$/m);

    assert.equal((await fetch(`${member.httpUrl}/nope`)).status, 404);
  });

  test('put, get, cas and delete over /client', async () => {
    const client = await cluster.connect('n1', '/client');
    try {
      const put = await client.request<Answer>({ op: 'put', key: 'k', value: 'v1' });
      assert.equal(put.ok, true);
      assert.equal(put.value, 'v1');
      const get = await client.request<Answer>({ op: 'get', key: 'k' });
      assert.deepEqual({ ok: get.ok, value: get.value }, { ok: true, value: 'v1' });
      assert.ok((get.index ?? 0) >= (put.index ?? Infinity));
      const serializable = await client.request<Answer>({ op: 'get', key: 'k', consistency: 'serializable' });
      assert.equal(serializable.value, 'v1');
      const cas = await client.request<Answer & { swapped?: boolean }>({ op: 'cas', key: 'k', expect: 'nope', value: 'v2' });
      assert.deepEqual({ ok: cas.ok, swapped: cas.swapped, value: cas.value }, { ok: true, swapped: false, value: 'v1' });
      const del = await client.request<Answer>({ op: 'delete', key: 'k' });
      assert.deepEqual({ ok: del.ok, value: del.value }, { ok: true, value: null });
      // Many in flight on one connection, each answered under its own id.
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => client.request<Answer>({ op: 'put', key: `many-${i}`, value: String(i) })));
      assert.ok(answers.every((a) => a.ok));
    } finally {
      await client.close();
    }
  });

  test('bad frames are answered and the connection stays usable', async () => {
    const client = await cluster.connect('n1', '/client');
    try {
      client.sendRaw('{"id": 7, "op": "put", oops}');
      const malformed = await client.waitFor<Answer>((f) => f.ok === false);
      assert.equal(malformed.error?.code, 'BAD_REQUEST');
      assert.equal(malformed.id, 7);

      const unknownOp = await client.request<Answer>({ op: 'frobnicate', key: 'k' });
      assert.equal(unknownOp.error?.code, 'BAD_REQUEST');
      assert.match(unknownOp.error?.message ?? '', /^op: must be one of/);

      const tooLarge = await client.request<Answer>({ op: 'put', key: 'big', value: 'x'.repeat(MAX_VALUE_BYTES + 1) });
      assert.equal(tooLarge.error?.code, 'TOO_LARGE');

      const ok = await client.request<Answer>({ op: 'put', key: 'after', value: 'fine' });
      assert.equal(ok.ok, true);
    } finally {
      await client.close();
    }
  });

  test('a frame over the frame limit is refused before parsing (close 1009)', async () => {
    const client = await cluster.connect('n1', '/client');
    client.sendRaw(`{"id":1,"op":"put","key":"k","value":"${'x'.repeat(MAX_FRAME_BYTES)}"}`);
    const closed = await client.closed;
    assert.equal(closed.code, 1009);
    const again = await cluster.connect('n1', '/client');
    try {
      assert.equal((await again.request<Answer>({ op: 'get', key: 'after' })).value, 'fine');
    } finally {
      await again.close();
    }
  });

  test('admin status is a SPEC NodeStatus', async () => {
    const status = await cluster.status('n1');
    const parsed = nodeStatusSchema.safeParse(status);
    assert.ok(parsed.success, parsed.error?.message);
    assert.equal(status.id, 'n1');
    assert.equal(status.cluster, 'default');
    assert.equal(status.pid, member.process.pid);
    assert.equal(status.role, 'leader');
    assert.equal(status.leaderId, 'n1');
    assert.equal(status.votedFor, 'n1');
    assert.deepEqual(status.config, { voters: ['n1'], learners: [] });
    assert.deepEqual(status.members, [{ id: 'n1', url: member.url }]);
    assert.ok(status.commitIndex >= 1 && status.appliedIndex <= status.commitIndex && status.lastIndex >= status.commitIndex);
    assert.ok(status.wal.segments >= 1 && status.wal.bytes > 0);
    assert.deepEqual(status.progress, {});
  });

  test('admin snapshot, fault and subscribe', async () => {
    const admin = await cluster.connect('n1', '/admin');
    try {
      const snap = await admin.request<{ ok: boolean; snapshot: { index: number; bytes: number } }>({ op: 'snapshot' });
      assert.equal(snap.ok, true);
      assert.ok(snap.snapshot.index >= 1 && snap.snapshot.bytes > 0);

      const subscribed = await admin.request<{ ok: boolean }>({ op: 'subscribe' });
      assert.equal(subscribed.ok, true);
      const first = await admin.waitFor<{ status: NodeStatus }>((f) => f.event === 'status');
      assert.equal(first.status.id, 'n1');

      const fault = await admin.request<{ ok: boolean; faults: { delayMs: number } }>({ op: 'fault', set: { delayMs: 5 } });
      assert.deepEqual({ ok: fault.ok, delayMs: fault.faults.delayMs }, { ok: true, delayMs: 5 });
      const event = await admin.waitFor<{ faults: { delayMs: number } }>((f) => f.event === 'fault');
      assert.equal(event.faults.delayMs, 5);
      const cleared = await admin.request<{ faults: { delayMs: number } }>({ op: 'fault', clear: true });
      assert.equal(cleared.faults.delayMs, 0);

      const client = await cluster.connect('n1', '/client');
      await client.request({ op: 'put', key: 'seen', value: 'by-subscriber' });
      await client.close();
      const changed = await admin.waitFor<{ status: NodeStatus }>((f) => f.event === 'status' && (f.status as NodeStatus).appliedIndex > first.status.appliedIndex);
      assert.ok(changed.status.appliedIndex > first.status.appliedIndex);

      const notMember = await admin.request<Answer>({ op: 'remove-member', memberId: 'n9' });
      assert.equal(notMember.error?.code, 'BAD_REQUEST');
    } finally {
      await admin.close();
    }
  });

  test('admin pause stops the whole process for that long, then it serves again', async () => {
    const admin = await cluster.connect('n1', '/admin');
    try {
      const started = performance.now();
      const paused = await admin.request<{ ok: boolean }>({ op: 'pause', ms: 400 });
      assert.equal(paused.ok, true);
      const status = await admin.request<{ ok: boolean }>({ op: 'status' }, 10_000);
      assert.equal(status.ok, true);
      assert.ok(performance.now() - started >= 350, 'the status answer waited for the pause to end');
      const tooLong = await admin.request<Answer>({ op: 'pause', ms: 10_000_000 });
      assert.equal(tooLong.error?.code, 'BAD_REQUEST');
    } finally {
      await admin.close();
    }
  });

  test('admin crash kills the process at once; acknowledged writes survive', async () => {
    const client = await cluster.connect('n1', '/client');
    const put = await client.request<Answer>({ op: 'put', key: 'before-crash', value: 'kept' });
    assert.equal(put.ok, true);
    await client.close();
    const admin = await cluster.connect('n1', '/admin');
    await admin.request({ op: 'crash' }).catch(() => undefined);
    assert.deepEqual(await member.process.exited, { code: null, signal: 'SIGKILL' });
    await admin.close();

    member = await cluster.restart('n1');
    await cluster.waitForLeader();
    const again = await cluster.connect('n1', '/client');
    try {
      assert.equal((await again.request<Answer>({ op: 'get', key: 'before-crash' })).value, 'kept');
    } finally {
      await again.close();
    }
  });

  test('SIGTERM exits 0 and a restart keeps the data', async () => {
    const client = await cluster.connect('n1', '/client');
    await client.request({ op: 'put', key: 'durable', value: 'yes' });
    await client.close();
    await cluster.stop('n1');
    assert.deepEqual(await member.process.exited, { code: 0, signal: null });
    assert.match(member.process.stderr, /"msg":"stopped"/);

    member = await cluster.restart('n1');
    await cluster.waitForLeader();
    const again = await cluster.connect('n1', '/client');
    try {
      assert.equal((await again.request<Answer>({ op: 'get', key: 'durable' })).value, 'yes');
      assert.equal((await again.request<Answer>({ op: 'get', key: 'many-49' })).value, '49');
    } finally {
      await again.close();
    }
  });
});

describe('with a token', () => {
  const token = 'sekrit-token';
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ size: 1, token });
  });

  after(async () => {
    await cluster.close();
  });

  test('a wrong or missing token is answered 401 on /raft, /client and /admin', async () => {
    const { url } = cluster.member('n1');
    for (const path of ['/raft', '/client', '/admin']) {
      await assert.rejects(WsClient.connect(`${url}${path}`, { token: 'wrong' }), /401/, `${path} with a wrong token`);
      await assert.rejects(WsClient.connect(`${url}${path}`), /401/, `${path} without a token`);
    }
    const client = await cluster.connect('n1', '/client');
    try {
      await cluster.waitForLeader();
      assert.equal((await client.request<Answer>({ op: 'put', key: 'k', value: 'v' })).ok, true);
    } finally {
      await client.close();
    }
  });
});
