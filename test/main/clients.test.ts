// AdminClient and KvClient against fake nodes: matching by id, timeouts, unreachable members,
// tokens, reconnecting, silent connections, redirects and lost connections.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AdminClient, type AdminStateChange } from '../../src/main/connection/admin-client.ts';
import { endpointUrl, loadAuth, memberBaseUrl } from '../../src/main/connection/endpoint.ts';
import { KvClient } from '../../src/main/connection/kv-client.ts';
import { RequestError } from '../../src/main/connection/request-error.ts';
import { fakeStatus, FakeNode, reply } from './support/fake-node.ts';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function fake(handler: Parameters<typeof FakeNode.start>[0], options?: Parameters<typeof FakeNode.start>[1]): Promise<FakeNode> {
  const node = await FakeNode.start(handler, options);
  cleanups.push(() => node.close());
  return node;
}

function admin(url: string, options: ConstructorParameters<typeof AdminClient>[1] = {}): AdminClient {
  const client = new AdminClient(url, { requestTimeoutMs: 1_000, connectTimeoutMs: 1_000, ...options });
  cleanups.push(() => client.close());
  return client;
}

function kv(urls: string[], options: ConstructorParameters<typeof KvClient>[1] = {}): KvClient {
  const client = new KvClient(urls, { timeoutMs: 1_000, connectTimeoutMs: 1_000, ...options });
  cleanups.push(() => client.close());
  return client;
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const node = await FakeNode.start(() => {});
  const port = node.port;
  await node.close();
  return port;
}

function nextState(client: AdminClient, state: AdminStateChange['state']): Promise<AdminStateChange> {
  return new Promise((resolve) => {
    const stop = client.onState((change) => {
      if (change.state !== state) return;
      stop();
      resolve(change);
    });
  });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<RequestError> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}, got success`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RequestError, `expected a RequestError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

describe('endpoint', () => {
  it('normalizes member URLs and rejects what is not one', () => {
    assert.equal(memberBaseUrl('ws://127.0.0.1:7001/admin'), 'ws://127.0.0.1:7001');
    assert.equal(memberBaseUrl(' wss://node.example:443/ '), 'wss://node.example');
    assert.equal(endpointUrl('ws://127.0.0.1:7001/client', '/admin'), 'ws://127.0.0.1:7001/admin');
    assert.throws(() => memberBaseUrl('http://127.0.0.1:7001'), /must start with ws:\/\/ or wss:\/\//);
    assert.throws(() => memberBaseUrl('127.0.0.1:7001'), /ws:\/\/|not a URL/);
    assert.throws(() => memberBaseUrl('ws://user:pw@127.0.0.1:7001'), /credentials/);
  });

  it('reads a token file and names the file when it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auth-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'token'), 'secret-1\n');
    await writeFile(join(dir, 'empty'), '\n');
    assert.deepEqual(await loadAuth({ tokenFile: join(dir, 'token') }), { token: 'secret-1' });
    await assert.rejects(loadAuth({ tokenFile: join(dir, 'missing') }), /token file .*missing does not exist/);
    await assert.rejects(loadAuth({ tokenFile: join(dir, 'empty') }), /is empty/);
    await assert.rejects(loadAuth({ certFile: join(dir, 'token') }), /go together/);
  });

  it('refuses a FIFO, a folder, a device, a big file or a PEM file as a token file, without waiting', { timeout: 5_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auth-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(loadAuth({ tokenFile: fifo }), { message: `token file ${fifo} is not a regular file` });
    await assert.rejects(loadAuth({ tokenFile: dir }), { message: `token file ${dir} is not a regular file` });
    await assert.rejects(loadAuth({ tokenFile: '/dev/zero' }), { message: 'token file /dev/zero is not a regular file' });
    await assert.rejects(loadAuth({ caFile: fifo }), { message: `TLS CA file ${fifo} is not a regular file` });
    await writeFile(join(dir, 'big'), 'x'.repeat(5000));
    await assert.rejects(loadAuth({ tokenFile: join(dir, 'big') }), /big has 5000 bytes; at most 4096 are expected/);
    await writeFile(join(dir, 'cert.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    await assert.rejects(loadAuth({ tokenFile: join(dir, 'cert.pem') }), /holds more than one line of printable ASCII: is it the right file\?/);
  });
});

describe('AdminClient', () => {
  it('matches answers to requests by id, in any order', { timeout: 5_000 }, async () => {
    const held: { id: unknown; ws: import('ws').WebSocket }[] = [];
    const node = await fake((request, ws) => {
      held.push({ id: request.id, ws });
      if (held.length === 2) {
        for (const { id, ws: socket } of held.reverse()) reply(socket, { id, ok: true, op: 'status', status: fakeStatus({ commitIndex: Number(id) }) });
      }
    });
    const client = admin(node.url);
    const [first, second] = await Promise.all([client.status(), client.status()]);
    assert.equal(first.commitIndex, node.requests[0].id);
    assert.equal(second.commitIndex, node.requests[1].id);
    assert.notEqual(first.commitIndex, second.commitIndex);
  });

  it('turns a failure answer into a RequestError with its code and leader hint', { timeout: 5_000 }, async () => {
    const node = await fake((request, ws) =>
      reply(ws, { id: request.id, ok: false, error: { code: 'NOT_LEADER', message: 'ask n2', leaderId: 'n2', leaderUrl: 'ws://127.0.0.1:1' } }),
    );
    const error = await rejectsWith(admin(node.url).addMember('n4', 'ws://127.0.0.1:2'), 'NOT_LEADER');
    assert.deepEqual(error.leader, { leaderId: 'n2', leaderUrl: 'ws://127.0.0.1:1' });
    assert.equal(error.definitelyNotApplied, true);
    assert.deepEqual(node.requests[0], { id: node.requests[0].id, op: 'add-member', memberId: 'n4', url: 'ws://127.0.0.1:2' });
  });

  it('fails a request that gets no answer with TIMEOUT', { timeout: 5_000 }, async () => {
    const node = await fake(() => {});
    const error = await rejectsWith(admin(node.url).status(200), 'TIMEOUT');
    assert.equal(error.definitelyNotApplied, false);
  });

  it('fails at once with UNAVAILABLE when nothing listens, and says so in its state', { timeout: 5_000 }, async () => {
    const client = admin(`ws://127.0.0.1:${await closedPort()}`);
    const error = await rejectsWith(client.status(), 'UNAVAILABLE');
    assert.match(error.message, /refused/);
    assert.equal(client.state, 'unreachable');
    assert.match(client.lastError ?? '', /refused/);
  });

  it('reports a refused token as UNAUTHORIZED', { timeout: 5_000 }, async () => {
    const node = await fake(() => {}, { token: 'right' });
    await rejectsWith(admin(node.url, { auth: { token: 'wrong' } }).status(), 'UNAUTHORIZED');
    await rejectsWith(admin(node.url).status(), 'UNAUTHORIZED');
  });

  it('reconnects with backoff after the node comes back, and subscribes again', { timeout: 10_000 }, async () => {
    const handler = (request: Record<string, unknown>, ws: import('ws').WebSocket): void => {
      reply(ws, { id: request.id, ok: true, op: 'subscribe' });
      reply(ws, { event: 'fault', node: 'n1', at: Date.now(), faults: fakeStatus().faults as object });
    };
    const node = await fake(handler);
    const client = admin(node.url, { backoff: { initialMs: 20, maxMs: 100, jitter: 0.5 } });
    let events = 0;
    const firstEvent = new Promise<void>((resolve) => client.onEvent(() => ++events === 1 && resolve()));
    await firstEvent;

    const lost = nextState(client, 'unreachable');
    const port = node.port;
    await node.close();
    assert.match((await lost).error ?? '', /closed/);

    const secondEvent = new Promise<void>((resolve) => client.onEvent(() => events >= 2 && resolve()));
    const again = await fake(handler, { port });
    await secondEvent;
    assert.equal(client.state, 'connected');
    assert.equal(again.requests.filter((r) => r.op === 'subscribe').length, 1);
  });

  it('drops a connection that stops answering pings, as a paused node does', { timeout: 5_000 }, async () => {
    const node = await fake((request, ws) => {
      reply(ws, { id: request.id, ok: true, op: 'status', status: fakeStatus() });
      ws.pause();
    });
    const client = admin(node.url, { heartbeatMs: 50, backoff: { initialMs: 5_000, maxMs: 5_000, jitter: 0 } });
    await client.status();
    const lost = await nextState(client, 'unreachable');
    assert.match(lost.error ?? '', /no answer .* for \d+ ms/);
  });

  it('refuses requests once closed', async () => {
    const client = admin(`ws://127.0.0.1:${await closedPort()}`);
    client.close();
    assert.equal(client.state, 'closed');
    await rejectsWith(client.status(), 'UNAVAILABLE');
  });
});

describe('KvClient', () => {
  it('follows a NOT_LEADER redirect and then goes to the leader directly', { timeout: 5_000 }, async () => {
    const leader = await fake((request, ws) => reply(ws, { id: request.id, ok: true, value: 'v', index: 7 }));
    const follower = await fake((request, ws) =>
      reply(ws, { id: request.id, ok: false, error: { code: 'NOT_LEADER', message: 'not me', leaderId: 'n2', leaderUrl: leader.url } }),
    );
    const client = kv([follower.url]);
    assert.deepEqual(await client.put('k', 'v'), { id: leader.requests[0].id, ok: true, value: 'v', index: 7 });
    assert.equal(client.leaderUrl, leader.url);
    await client.get('k');
    assert.equal(follower.requests.length, 1);
    assert.deepEqual(
      leader.requests.map(({ id: _, ...rest }) => rest),
      [
        { op: 'put', key: 'k', value: 'v' },
        { op: 'get', key: 'k' },
      ],
    );
  });

  it('skips a member it cannot reach', { timeout: 5_000 }, async () => {
    const leader = await fake((request, ws) => reply(ws, { id: request.id, ok: true, value: null, index: 3 }));
    const client = kv([`ws://127.0.0.1:${await closedPort()}`, leader.url]);
    assert.equal((await client.delete('k')).index, 3);
  });

  it('fails with UNAVAILABLE when no member can be reached', { timeout: 5_000 }, async () => {
    const error = await rejectsWith(kv([`ws://127.0.0.1:${await closedPort()}`]).get('k'), 'UNAVAILABLE');
    assert.equal(error.definitelyNotApplied, true);
  });

  it('reports a connection lost after sending as CONNECTION_LOST: outcome unknown', { timeout: 5_000 }, async () => {
    const node = await fake((_request, ws) => ws.terminate());
    const error = await rejectsWith(kv([node.url]).put('k', 'v'), 'CONNECTION_LOST');
    assert.equal(error.definitelyNotApplied, false);
  });

  it('passes SPEC error codes through and does not retry them', { timeout: 5_000 }, async () => {
    const node = await fake((request, ws) => reply(ws, { id: request.id, ok: false, error: { code: 'NO_LEADER', message: 'election under way' } }));
    const error = await rejectsWith(kv([node.url]).cas('k', null, 'v'), 'NO_LEADER');
    assert.equal(error.definitelyNotApplied, true);
    assert.equal(node.requests.length, 1);
  });

  it('carries many requests in flight on one connection, answered in any order', { timeout: 5_000 }, async () => {
    const held: { id: unknown; key: unknown; ws: import('ws').WebSocket }[] = [];
    const node = await fake((request, ws) => {
      held.push({ id: request.id, key: request.key, ws });
      if (held.length === 50) for (const h of held.reverse()) reply(h.ws, { id: h.id, ok: true, value: String(h.key), index: 1 });
    });
    const client = kv([node.url]);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(`k${i}`)));
    assert.deepEqual(
      answers.map((a) => a.value),
      Array.from({ length: 50 }, (_, i) => `k${i}`),
    );
    assert.equal(node.sockets.size, 1);
  });
});
