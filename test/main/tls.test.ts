// A remote cluster over wss:// with a token, reached through a saved connection profile: the CA
// file verifies the node; without it the connection is refused with a clear reason.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminClient } from '../../src/main/connection/admin-client.ts';
import { ClusterConnection } from '../../src/main/connection/cluster-connection.ts';
import { KvClient } from '../../src/main/connection/kv-client.ts';
import { RequestError } from '../../src/main/connection/request-error.ts';
import { freePort } from '../../src/main/hosting/free-port.ts';
import { profileAuth, ProfileStore } from '../../src/main/profiles.ts';
import { tearDown, tempDir } from './support/hosted.ts';

const REPO = join(import.meta.dirname, '../..');

describe('a wss:// node reached by a profile', () => {
  let dir: string;
  let node: ChildProcess | undefined;
  let url: string;
  const open: { close(): void }[] = [];

  before(async () => {
    dir = await tempDir('tls');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    await writeFile(join(dir, 'token'), 'tls-test-token\n', { mode: 0o600 });
    const port = await freePort();
    url = `wss://127.0.0.1:${port}`;
    node = spawn(process.execPath, [
      join(REPO, 'bin/raft-node.mjs'), '--id', 'n1', '--data', join(dir, 'data'), '--listen', `127.0.0.1:${port}`,
      '--peers', `n1=${url}`, '--token-file', join(dir, 'token'),
      '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
    ], { stdio: 'ignore' });
  });
  after(async () => {
    for (const client of open) client.close();
    node?.kill('SIGKILL');
    await tearDown(undefined, dir, node?.pid === undefined ? [] : [node.pid]);
  });

  it('connects with the CA and the token from the profile, and serves reads and writes', async () => {
    const store = new ProfileStore(join(dir, 'profiles'));
    await store.save({ name: 'secure', urls: [url], tokenFile: join(dir, 'token'), tls: { caFile: join(dir, 'cert.pem') } });
    const auth = await profileAuth(await store.load('secure'));
    const connection = new ClusterConnection([url], { auth });
    open.push(connection);
    const leader = await connection.waitForLeader(15_000);
    assert.equal(leader.id, 'n1');
    assert.equal(leader.url, url);

    const kv = new KvClient([url], { auth });
    open.push(kv);
    assert.equal((await kv.put('secure', 'yes')).ok, true);
    assert.equal((await kv.get('secure')).value, 'yes');
  });

  it('refuses the node without the CA, saying why', async () => {
    const client = new AdminClient(url, { auth: { token: 'tls-test-token' } });
    open.push(client);
    await assert.rejects(client.status(), (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.code, 'UNAVAILABLE');
      assert.match(error.message, /self[- ]signed certificate/i);
      return true;
    });
  });
});
