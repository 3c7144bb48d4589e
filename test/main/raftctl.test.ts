// raftctl as a user runs it: the real `node bin/raftctl.mjs` against a real hosted cluster, reached
// by --dir and by --endpoints + --token-file. Status, key-value round trips, membership, leadership,
// a fault with its revert, the history checker, a short drill, `cluster up` until Ctrl-C, and the
// one-line errors of bad input.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { DrillReport } from '../../src/shared/drill.ts';
import type { NodeStatus } from '../../src/shared/protocol/node-status.ts';
import { AdminClient } from '../../src/main/connection/admin-client.ts';
import { readClusterFile } from '../../src/main/hosting/cluster-file.ts';
import type { LocalCluster } from '../../src/main/hosting/local-cluster.ts';
import { eventually, hostCluster, isRunning, tearDown, tempDir } from './support/hosted.ts';
import { assertFailedWith, assertSucceeded, killRaftctls, parseJson, raftctl, startRaftctl } from './support/raftctl.ts';

const NODE_ARGS = ['--election-timeout', '300-600'];

interface StatusJson {
  leader: string | null;
  term: number | null;
  members: { id: string; role: string | null; reachable: boolean; commitIndex: number | null; lag: number | null }[];
}

interface MembersJson {
  members: { id: string; url: string; kind: 'voter' | 'learner'; role: string | null; reachable: boolean }[];
}

describe('raftctl', () => {
  let cluster: LocalCluster;
  let dir: string;
  let clusterDir: string;
  const extraPids: number[] = [];

  before(async () => {
    ({ cluster, dir } = await hostCluster({ nodeArgs: NODE_ARGS }));
    clusterDir = join(dir, 'cluster');
  });
  after(async () => {
    killRaftctls();
    await tearDown(cluster, dir, extraPids);
  });

  const byDir = (...args: string[]) => raftctl(['--dir', clusterDir, ...args]);
  const byEndpoints = (...args: string[]) => raftctl(['--endpoints', cluster.urls().join(','), '--token-file', cluster.tokenFile, ...args]);

  it('documents every command, and refuses bad arguments with one clear line', async () => {
    const [overview, memberAdd, unknown, noCluster, badUrl, badRounds] = await Promise.all([
      raftctl(['--help']),
      raftctl(['member', 'add', '--help']),
      raftctl(['frobnicate']),
      raftctl(['status']),
      raftctl(['--endpoints', 'http://127.0.0.1:1', 'status']),
      raftctl(['--dir', clusterDir, 'drill', 'failover', '--rounds', 'many', '--report', join(dir, 'x.json')]),
    ]);
    assertSucceeded(overview);
    for (const command of ['status', 'get KEY', 'put KEY VALUE', 'del KEY', 'cas KEY EXPECT VALUE', 'members', 'member add ID URL', 'member promote ID', 'member remove ID', 'transfer-leader ID', 'fault kill ID', 'fault pause ID --ms N', 'fault partition ID[,ID...]', 'fault delay ID[,ID...]', 'fault heal', 'cluster up --dir DIR', 'drill failover --rounds N --report FILE', 'check HISTORY.jsonl', 'bench']) {
      assert.ok(overview.stdout.includes(`  ${command}`), `--help lists ${command}`);
    }
    assertSucceeded(memberAdd);
    assert.match(memberAdd.stdout, /Usage: raftctl member add ID URL/);
    assert.match(memberAdd.stdout, /--learner/);
    assertFailedWith(unknown, 2, /unknown command "frobnicate"/);
    assertFailedWith(noCluster, 2, /--endpoints URL,\.\.\. or --dir DIR/);
    assertFailedWith(badUrl, 2, /"http:\/\/127\.0\.0\.1:1" must start with ws:\/\/ or wss:\/\//);
    assertFailedWith(badRounds, 2, /--rounds must be a whole number from 1 to 1000, got "many"/);
  });

  it('check: exit 0 for a linearizable history, 1 with the anomaly for a lost write, 2 for a malformed file', async () => {
    const good = join(dir, 'good.jsonl');
    const bad = join(dir, 'bad.jsonl');
    const malformed = join(dir, 'malformed.jsonl');
    const put = (process: number, value: string, time: number) => [
      { type: 'invoke', process, op: 'put', key: 'k', value, time },
      { type: 'ok', process, op: 'put', key: 'k', time: time + 1 },
    ];
    const get = (process: number, value: string, time: number) => [
      { type: 'invoke', process, op: 'get', key: 'k', time },
      { type: 'ok', process, op: 'get', key: 'k', value, time: time + 1 },
    ];
    const jsonl = (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    await writeFile(good, jsonl([...put(1, 'a', 1), ...put(1, 'b', 3), ...get(2, 'b', 5)]));
    // "b" was acknowledged before the read began, yet the read saw "a".
    await writeFile(bad, jsonl([...put(1, 'a', 1), ...put(1, 'b', 3), ...get(2, 'a', 5)]));
    await writeFile(malformed, '{"type":"invoke","process":1}\n');

    const [goodRun, badRun, malformedRun, missing] = await Promise.all([
      raftctl(['check', good]),
      raftctl(['check', bad, '--json']),
      raftctl(['check', malformed]),
      raftctl(['check', join(dir, 'nothing.jsonl')]),
    ]);
    assertSucceeded(goodRun);
    assert.match(goodRun.stdout, /verdict: linearizable/);
    assert.match(goodRun.stdout, /ops: 3 ok, 0 failed, 0 unknown/);
    assertFailedWith(badRun, 1, /not linearizable: 1 anomaly, 1 lost write/);
    const result = parseJson<{ verdict: string; lostWrites: number; anomalies: { key: string; reason: string; ops: unknown[] }[] }>(badRun);
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.lostWrites, 1);
    assert.equal(result.anomalies[0].key, 'k');
    assert.match(result.anomalies[0].reason, /acknowledged write lost/);
    assert.equal(result.anomalies[0].ops.length, 3);
    assertFailedWith(malformedRun, 2, /line 1: invalid event/);
    assertFailedWith(missing, 2, /does not exist/);
  });

  it('status: a table for people, JSON for machines', async () => {
    const [human, json] = await Promise.all([byDir('status'), byEndpoints('status', '--json')]);
    assertSucceeded(human);
    const [header, ...rows] = human.stdout.trim().split('\n');
    assert.match(header, /^ID\s+ROLE\s+TERM\s+COMMIT\s+APPLIED\s+LAG\s+REACHABLE$/);
    assert.deepEqual(rows.slice(0, 3).map((row) => row.split(/\s+/)[0]), ['n1', 'n2', 'n3']);
    assert.ok(rows.slice(0, 3).every((row) => row.endsWith('yes')));
    assert.match(human.stdout, /leader n\d, term \d+/);
    assertSucceeded(json);
    const status = parseJson<StatusJson>(json);
    assert.match(status.leader ?? '', /^n[123]$/);
    assert.deepEqual(status.members.map((m) => [m.id, m.reachable]), [['n1', true], ['n2', true], ['n3', true]]);
    assert.equal(status.members.filter((m) => m.role === 'leader').length, 1);
    assert.ok(status.members.every((m) => typeof m.commitIndex === 'number' && typeof m.lag === 'number'));
  });

  it('put, get, cas and del round trip', async () => {
    const [put, casAbsent] = await Promise.all([byDir('put', 'k1', 'one'), byEndpoints('cas', 'k2', 'first', '--absent')]);
    assertSucceeded(put);
    assert.match(put.stdout, /^OK, index \d+$/m);
    assertSucceeded(casAbsent);
    assert.match(casAbsent.stdout, /^swapped, index \d+$/m);

    const [get, casWrong, casRight] = await Promise.all([byDir('get', 'k1'), byDir('cas', 'k1', 'nope', 'two'), byDir('cas', 'k2', 'first', 'second', '--json')]);
    assertSucceeded(get);
    assert.equal(get.stdout, 'one\n');
    assertFailedWith(casWrong, 1, /not swapped: "k1" holds "one"/);
    assertSucceeded(casRight);
    const swap = parseJson<{ key: string; expect: string; swapped: boolean; current: string }>(casRight);
    assert.deepEqual([swap.key, swap.expect, swap.swapped, swap.current], ['k2', 'first', true, 'second']);

    assertSucceeded(await byDir('del', 'k1'));
    const gone = await byEndpoints('get', 'k1', '--json');
    assertFailedWith(gone, 1, /"k1" is absent/);
    assert.equal(parseJson<{ value: string | null }>(gone).value, null);
  });

  it('transfer-leader, then members shows the new leader', async () => {
    const before = parseJson<StatusJson>(await byDir('status', '--json'));
    const target = ['n1', 'n2', 'n3'].find((id) => id !== before.leader) as string;
    const transfer = await byDir('transfer-leader', target, '--json');
    assertSucceeded(transfer);
    assert.equal(parseJson<{ leader: string }>(transfer).leader, target);
    const members = await byEndpoints('members', '--json');
    assertSucceeded(members);
    const list = parseJson<MembersJson>(members).members;
    assert.deepEqual(list.map((m) => [m.id, m.kind]), [['n1', 'voter'], ['n2', 'voter'], ['n3', 'voter']]);
    assert.equal(list.find((m) => m.role === 'leader')?.id, target);
  });

  it('member add (learner, catch up, promote) and member remove; an unsafe removal is refused', async () => {
    const added = await cluster.addMember();
    extraPids.push(cluster.member(added.id).pid as number);
    const add = await byDir('member', 'add', added.id, added.url);
    assertSucceeded(add);
    assert.equal(add.stdout, `${added.id} is a voter\n`);
    assert.match(add.stderr, new RegExp(`adding ${added.id} .* as a learner`));
    assert.match(add.stderr, /promoting/);
    const members = parseJson<MembersJson>(await byDir('members', '--json')).members;
    assert.deepEqual(members.find((m) => m.id === added.id), { id: added.id, url: added.url, kind: 'voter', role: 'follower', reachable: true });

    const remove = await byDir('member', 'remove', added.id);
    assertSucceeded(remove);
    assert.match(remove.stdout, new RegExp(`${added.id} is removed from the configuration`));
    await cluster.retire(added.id);

    // With n3 down, removing n2 would leave n1 alone of the two voters left.
    await cluster.kill('n3');
    try {
      assertFailedWith(await byDir('member', 'remove', 'n2'), 1, /removing n2 leaves 1 of 2 voters reachable .*lose its quorum/);
    } finally {
      await cluster.start('n3');
    }
    const after = parseJson<MembersJson>(await byDir('members', '--json')).members;
    assert.deepEqual(after.map((m) => m.id), ['n1', 'n2', 'n3']);
  });

  it('fault partition with --revert-after cuts a member off, then heals it', async () => {
    const run = await byEndpoints('fault', 'partition', 'n3', '--revert-after', '1000', '--json');
    assertSucceeded(run);
    assert.match(run.stderr, /undoing it in 1000 ms/);
    const { timeline } = parseJson<{ timeline: { kind: string; action: string; target: string[]; detail?: { from?: string[] } }[] }>(run);
    assert.deepEqual(timeline.map((e) => [e.kind, e.action, e.target]), [['fault', 'partition', ['n3']], ['revert', 'heal-partition', ['n3']]]);
    assert.deepEqual(timeline[0].detail?.from?.sort(), ['n1', 'n2']);
    const auth = await cluster.auth();
    for (const member of cluster.members()) {
      const status = await fetchStatus(member.url, auth.token as string);
      assert.deepEqual([status.faults.dropTo, status.faults.dropFrom], [[], []], `${member.id} has no drop lists after the revert`);
    }
  });

  it('drill failover --rounds 1 --json prints the SPEC report and saves it as JSON and HTML', async () => {
    const report = join(dir, 'drill', 'report.json');
    const run = await byDir('drill', 'failover', '--rounds', '1', '--scenario', 'pause-leader', '--report', report, '--json');
    assertSucceeded(run);
    assert.match(run.stderr, /round 1: n\d leads in term \d+; injecting pause on it/);
    const parsed = parseJson<DrillReport>(run);
    assert.equal(parsed.scenario, 'pause-leader');
    assert.ok(!Number.isNaN(Date.parse(parsed.startedAt)));
    assert.equal(typeof parsed.durationMs, 'number');
    assert.equal(parsed.rounds.length, 1);
    const [round] = parsed.rounds;
    for (const field of ['round', 'fault', 'target', 'oldLeader', 'newLeader', 'oldTerm', 'newTerm', 'unavailabilityMs']) assert.ok(field in round, `a round has ${field}`);
    assert.equal(round.fault, 'pause');
    assert.equal(round.target, round.oldLeader);
    assert.ok(parsed.ops.ok > 0);
    assert.equal(parsed.verdict, 'linearizable');
    assert.equal(parsed.lostWrites, 0);
    assert.deepEqual(parsed.anomalies, []);
    assert.ok(existsSync(parsed.historyFile));
    assert.deepEqual(JSON.parse(await readFile(report, 'utf8')), parsed);
    assert.match(await readFile(join(dir, 'drill', 'report.html'), 'utf8'), /<html/i);
  });

  it('cluster up hosts in the foreground until Ctrl-C, then stops its members', async () => {
    const upParent = await tempDir('raftctl-up');
    const upDir = join(upParent, 'cluster');
    const child = startRaftctl(['cluster', 'up', '--nodes', '1', '--dir', upDir, '--', ...NODE_ARGS]);
    let pids: number[] = [];
    try {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      const ready = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no ready line within 60 s')), 60_000);
        lines.on('line', (line) => {
          if (!line.startsWith('ready')) return;
          clearTimeout(timer);
          resolve(line);
        });
        child.once('exit', (code) => reject(new Error(`cluster up exited early (${code})`)));
      });
      assert.match(ready, /^ready: 1 member, leader n1 \(term \d+\)/);
      pids = (await readClusterFile(upDir)).members.map((m) => m.pid as number);
      assert.equal(pids.length, 1);
      assert.ok(isRunning(pids[0]));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      assert.equal(await exited, 130);
      await eventually(() => pids.every((pid) => !isRunning(pid)), 10_000, 'the members to be gone');
    } finally {
      child.kill('SIGKILL');
      for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      await rm(upParent, { recursive: true, force: true });
    }
  });
});

async function fetchStatus(url: string, token: string): Promise<NodeStatus> {
  const admin = new AdminClient(url, { auth: { token } });
  try {
    return await admin.status();
  } finally {
    admin.close();
  }
}
