// raft-node over TLS: members serve wss:// and https://, dial each other verifying the CA, and
// still require the token.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestCluster } from './support/cluster.ts';
import { httpGet } from './support/node-process.ts';
import { makeTestTls } from './support/tls.ts';
import { WsClient } from './support/ws-client.ts';

let certs: string;
let cluster: TestCluster;

before(async () => {
  certs = await mkdtemp(join(tmpdir(), 'raft-tls-'));
  cluster = await TestCluster.start({ size: 3, token: 'tls-token', tls: await makeTestTls(certs) });
});

after(async () => {
  await cluster?.close();
  await rm(certs, { recursive: true, force: true });
});

test('a TLS cluster elects a leader over wss:// and serves clients', async () => {
  const leader = await cluster.waitForLeader();
  const status = await cluster.status(leader);
  assert.equal(Object.keys(status.progress ?? {}).length, 2);
  assert.ok(status.members.every((m) => m.url.startsWith('wss://127.0.0.1:')));

  const client = await cluster.connect(leader, '/client');
  try {
    const put = await client.request<{ ok: boolean; index: number }>({ op: 'put', key: 'k', value: 'v' });
    assert.equal(put.ok, true);
  } finally {
    await client.close();
  }

  const { httpUrl, url } = cluster.member(leader);
  const health = await httpGet(`${httpUrl}/healthz`, cluster.tls?.ca);
  assert.equal(health.status, 200);
  // Without the CA the certificate is not trusted; without the token the upgrade is refused.
  await assert.rejects(httpGet(`${httpUrl}/healthz`), /self-signed|unable to verify|certificate/);
  await assert.rejects(WsClient.connect(`${url}/client`, { ca: cluster.tls?.ca }), /401/);
});
