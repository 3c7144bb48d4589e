// ClusterConnection and KvClient against a real hosted cluster, reached as a remote one would be:
// by URL and token. Discovery, a wrong token, a killed member, a paused member, redirects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClusterConnection, type ClusterConnectionOptions, type ClusterEvent } from '../../src/main/connection/cluster-connection.ts';
import type { ConnectionAuth } from '../../src/main/connection/endpoint.ts';
import { KvClient } from '../../src/main/connection/kv-client.ts';
import { RequestError } from '../../src/main/connection/request-error.ts';
import type { LocalCluster } from '../../src/main/hosting/local-cluster.ts';
import { hostCluster, PATIENT_NODE_ARGS, retryNotApplied, tearDown } from './support/hosted.ts';

describe('ClusterConnection with real nodes', () => {
  let cluster: LocalCluster | undefined;
  let dir: string | undefined;
  let auth: ConnectionAuth;
  const open: { close(): void }[] = [];

  before(async () => {
    ({ cluster, dir } = await hostCluster({ nodeArgs: PATIENT_NODE_ARGS }));
    auth = await cluster.auth();
  });
  after(async () => {
    for (const client of open) client.close();
    await tearDown(cluster, dir);
  });

  function connect(urls: string[], options: ClusterConnectionOptions = {}): ClusterConnection {
    const connection = new ClusterConnection(urls, { auth, heartbeatMs: 200, backoff: { initialMs: 50, maxMs: 300, jitter: 0.5 }, ...options });
    open.push(connection);
    return connection;
  }

  it('discovers every member from one URL and the token', async () => {
    const hosted = cluster as LocalCluster;
    const connection = connect([hosted.urls()[0]]);
    const events: ClusterEvent[] = [];
    connection.onEvent((event) => events.push(event));
    await connection.waitUntil((c) => c.memberViews().filter((m) => m.state === 'connected' && m.status !== null).length === 3, 10_000, 'three connected members');
    assert.deepEqual(
      connection.memberViews().map((m) => [m.id, m.url]).sort(),
      hosted.members().map((m) => [m.id, m.url]),
    );
    const leader = await connection.waitForLeader(10_000);
    const own = await connection.admin(leader.id as string).status();
    assert.equal(own.role, 'leader');
    assert.equal(connection.leaderAdmin().url, leader.url);
    const tagged = new Set(events.filter((e) => e.kind === 'node').map((e) => e.memberId));
    assert.deepEqual([...tagged].sort(), ['n1', 'n2', 'n3'], 'events from every member, tagged with it');
    assert.ok(events.every((e) => e.kind !== 'node' || e.memberId === e.event.node));
  });

  it('with a wrong token: members unreachable with the reason, requests UNAUTHORIZED', async () => {
    const connection = connect((cluster as LocalCluster).urls(), { auth: { token: 'wrong' } });
    await connection.waitUntil((c) => c.memberViews().every((m) => m.state === 'unreachable'), 5_000, 'all unreachable');
    assert.match(connection.memberViews()[0].lastError ?? '', /refused the token \(HTTP 401\)/);
    await assert.rejects(connection.admin(connection.memberViews()[0].url).status(), (e: unknown) => e instanceof RequestError && e.code === 'UNAUTHORIZED');
  });

  it('marks a SIGKILLed member unreachable within seconds while the rest keep working', async () => {
    const hosted = cluster as LocalCluster;
    const connection = connect(hosted.urls());
    const kv = new KvClient(hosted.urls(), { auth });
    open.push(kv);
    const old = await connection.waitForLeader(10_000);
    await retryNotApplied(() => kv.put('before', '1'));

    await hosted.kill(old.id as string);
    await connection.waitUntil((c) => c.member(old.id as string)?.state === 'unreachable', 3_000, `${old.id} unreachable`);
    assert.match(connection.member(old.id as string)?.lastError ?? '', /closed|refused/);
    const next = await connection.waitUntil((c) => (c.leader()?.id ?? old.id) !== old.id, 10_000, 'a new leader').then(() => connection.leader());
    assert.notEqual(next?.id, old.id);
    await retryNotApplied(() => kv.put('after', '2'));
    assert.equal((await retryNotApplied(() => kv.get('before'))).value, '1');

    await hosted.restart(old.id as string);
    await connection.waitUntil((c) => c.member(old.id as string)?.state === 'connected', 5_000, `${old.id} connected again`);
  });

  it('marks a paused member unreachable (it stops answering pings) and sees it come back', async () => {
    const hosted = cluster as LocalCluster;
    const connection = connect(hosted.urls());
    const leader = await connection.waitForLeader(10_000);
    const follower = hosted.members().find((m) => m.id !== leader.id)?.id as string;
    await connection.waitUntil((c) => c.member(follower)?.state === 'connected', 5_000, `${follower} connected`);
    hosted.pause(follower);
    try {
      await connection.waitUntil((c) => c.member(follower)?.state === 'unreachable', 3_000, `${follower} unreachable`);
      assert.match(connection.member(follower)?.lastError ?? '', /no answer/);
    } finally {
      hosted.resume(follower);
    }
    await connection.waitUntil((c) => c.member(follower)?.state === 'connected', 5_000, `${follower} connected again`);
  });

  it('KvClient given only a follower reaches the leader', async () => {
    const hosted = cluster as LocalCluster;
    const connection = connect(hosted.urls());
    const leader = await connection.waitForLeader(10_000);
    const follower = hosted.members().find((m) => m.id !== leader.id) ?? assert.fail('no follower');
    const kv = new KvClient([follower.url], { auth });
    open.push(kv);
    await retryNotApplied(() => kv.put('via-follower', 'v'));
    assert.equal((await retryNotApplied(() => kv.get('via-follower'))).value, 'v');
    const cas = await retryNotApplied(() => kv.cas('via-follower', 'v', 'w'));
    assert.deepEqual([cas.swapped, cas.value], [true, 'w']);
  });
});
