// Hostile and broken input against a three-node cluster of real raft-node processes (with a
// token): malformed frames, unknown ops, oversized frames, bad tokens, foreign clusters and
// garbage on /raft. Each gets a clear error or refusal, and the cluster goes on unharmed.
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { encodeFrame, MAX_PEER_FRAME_BYTES, PEER_PROTOCOL_VERSION, type Handshake } from '../../src/node/transport/codec.ts';
import { MAX_FRAME_BYTES, MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../../src/shared/protocol/limits.ts';
import type { ClientAnswer } from './support/client-answer.ts';
import { ClusterClient } from './support/cluster-client.ts';
import { TestCluster } from './support/cluster.ts';
import { waitConverged } from './support/convergence.ts';
import { withNodeLogs } from './support/failure-logs.ts';
import { freePort } from './support/free-port.ts';
import { RaftNodeProcess } from './support/node-process.ts';
import { freshPrefix, waitUntil } from './support/wait.ts';
import { WsClient } from './support/ws-client.ts';

const TOKEN = 'bad-input-token';
const TIMING = ['--election-timeout', '300-600', '--heartbeat', '50'];
const ALL = ['n1', 'n2', 'n3'];

type Closed = { code: number; reason: string };

/** A raw /raft connection, for frames the transport would never send. */
async function openRaft(url: string): Promise<{ ws: WebSocket; closed: Promise<Closed> }> {
  const ws = new WebSocket(`${url}/raft`, { headers: { authorization: `Bearer ${TOKEN}` }, handshakeTimeout: 5000 });
  const closed = new Promise<Closed>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(String(res.statusCode))));
    ws.once('error', reject);
  });
  return { ws, closed };
}

/** Whatever the connection answers within `timeoutMs` to `frames`, then how it was closed. */
async function closedAfter(url: string, ...frames: (Buffer | string)[]): Promise<Closed> {
  const { ws, closed } = await openRaft(url);
  for (const frame of frames) ws.send(frame);
  const timer = setTimeout(() => ws.terminate(), 10_000);
  try {
    return await closed;
  } finally {
    clearTimeout(timer);
  }
}

function handshake(fields: Partial<Handshake>): Buffer {
  const base: Handshake = { cluster: 'default', from: 'intruder', to: 'n1', protocolVersion: PEER_PROTOCOL_VERSION, url: 'ws://127.0.0.1:9' };
  return encodeFrame({ kind: 'handshake', handshake: { ...base, ...fields } });
}

describe('bad input against a three-node cluster', () => {
  let cluster: TestCluster;
  let client: ClusterClient;
  const prefix = freshPrefix('bad-input');
  /** Every acknowledged write of this file: key → value. */
  const acked = new Map<string, string>();

  before(async () => {
    cluster = await TestCluster.start({ size: 3, token: TOKEN, args: TIMING, startTimeoutMs: 60_000 });
    client = new ClusterClient(cluster);
  });

  after(async () => {
    await client?.close();
    await cluster?.close();
  });

  /** One acknowledged write per test, so that the last test can check none was lost. */
  async function ackedWrite(name: string): Promise<void> {
    const key = `${prefix}-${name}`;
    assert.equal((await client.send({ op: 'put', key, value: `${key}=v` })).ok, true);
    acked.set(key, `${key}=v`);
  }

  /** Sends one raw text frame and returns the frame it is answered with. */
  async function answerTo(connection: WsClient, text: string): Promise<ClientAnswer> {
    connection.sendRaw(text);
    return connection.waitFor<ClientAnswer>(() => true);
  }

  test('/client: malformed JSON, non-objects, bad fields and unknown ops get BAD_REQUEST; the connection stays usable', () =>
    withNodeLogs(cluster, async () => {
      await ackedWrite('client-frames');
      const leader = await cluster.waitForLeader();
      const connection = await cluster.connect(leader, '/client');
      try {
        const cases: { frame: string; id?: number; message: RegExp }[] = [
          { frame: '{"id": 7, "op": "put", oops}', id: 7, message: /not valid JSON/ },
          { frame: 'not json at all', message: /not valid JSON/ },
          { frame: '[1,2,3]', message: /must be a JSON object/ },
          { frame: '"a string"', message: /must be a JSON object/ },
          { frame: 'null', message: /must be a JSON object/ },
          { frame: '{"op":"get","key":"k"}', message: /^id: / },
          { frame: '{"id":"five","op":"get","key":"k"}', message: /^id: / },
          { frame: '{"id":1}', id: 1, message: /^op: is required/ },
          { frame: '{"id":2,"op":"frobnicate","key":"k"}', id: 2, message: /^op: must be one of/ },
          { frame: '{"id":3,"op":"put","key":"k"}', id: 3, message: /^value: / },
          { frame: '{"id":4,"op":"put","key":"k","value":5}', id: 4, message: /^value: / },
          { frame: '{"id":5,"op":"get","key":""}', id: 5, message: /^key: / },
          { frame: '{"id":6,"op":"get","key":"k","consistency":"eventual"}', id: 6, message: /^consistency: / },
          { frame: '{"id":8,"op":"cas","key":"k","value":"v"}', id: 8, message: /^expect: / },
        ];
        for (const c of cases) {
          const answer = await answerTo(connection, c.frame);
          assert.equal(answer.error?.code, 'BAD_REQUEST', `${c.frame}: ${JSON.stringify(answer)}`);
          assert.equal(answer.id, c.id, `${c.frame}: id`);
          assert.match(answer.error?.message ?? '', c.message, c.frame);
        }
        assert.equal((await answerTo(connection, '')).error?.code, 'BAD_REQUEST', 'an empty frame');
        const put = await connection.request<ClientAnswer>({ op: 'put', key: `${prefix}-after-garbage`, value: 'fine' });
        assert.equal(put.ok, true, JSON.stringify(put));
        acked.set(`${prefix}-after-garbage`, 'fine');
      } finally {
        await connection.close();
      }
      // A binary frame is refused too, on its own connection.
      const raw = new WebSocket(`${cluster.member(leader).url}/client`, { headers: { authorization: `Bearer ${TOKEN}` } });
      try {
        await new Promise((resolve, reject) => raw.once('open', resolve).once('error', reject));
        raw.send(Buffer.from([1, 2, 3]));
        const answer = await new Promise<ClientAnswer>((resolve) => raw.once('message', (data) => resolve(JSON.parse(String(data)) as ClientAnswer)));
        assert.equal(answer.error?.code, 'BAD_REQUEST');
      } finally {
        raw.terminate();
      }
    }));

  test('/admin: malformed JSON, unknown ops and bad arguments get BAD_REQUEST; the connection stays usable', () =>
    withNodeLogs(cluster, async () => {
      await ackedWrite('admin-frames');
      const leader = await cluster.waitForLeader();
      const connection = await cluster.connect(leader, '/admin');
      try {
        const cases: { frame: string; id?: number; message: RegExp }[] = [
          { frame: '{"id":1,"op":"status"', id: 1, message: /not valid JSON/ },
          { frame: '{"id":2,"op":"reboot"}', id: 2, message: /^op: must be one of/ },
          { frame: '{"id":3,"op":"add-member","memberId":"N_4","url":"ws://127.0.0.1:1"}', id: 3, message: /^memberId: / },
          { frame: '{"id":4,"op":"add-member","memberId":"n4","url":"ftp://127.0.0.1:1"}', id: 4, message: /^url: / },
          { frame: '{"id":5,"op":"fault","set":{"lossRate":2}}', id: 5, message: /lossRate/ },
          { frame: '{"id":7,"op":"pause","ms":-5}', id: 7, message: /^ms: / },
          { frame: '{"id":8,"op":"transfer-leadership"}', id: 8, message: /^to: / },
        ];
        for (const c of cases) {
          const answer = await answerTo(connection, c.frame);
          assert.equal(answer.error?.code, 'BAD_REQUEST', `${c.frame}: ${JSON.stringify(answer)}`);
          assert.equal(answer.id, c.id, `${c.frame}: id`);
          assert.match(answer.error?.message ?? '', c.message, c.frame);
        }
        const unknown = await connection.request<ClientAnswer>({ op: 'remove-member', memberId: 'n9' }, 10_000);
        assert.equal(unknown.error?.code, 'BAD_REQUEST', JSON.stringify(unknown));
        const status = await connection.request<{ ok: boolean; status: { config: { voters: string[] } } }>({ op: 'status' });
        assert.equal(status.ok, true);
        assert.deepEqual(status.status.config.voters, ALL);
      } finally {
        await connection.close();
      }
    }));

  test('/admin: a fault with a misspelled field is refused, not taken for "no fault"', () =>
    withNodeLogs(cluster, async () => {
      const connection = await cluster.connect('n1', '/admin');
      try {
        const answer = await answerTo(connection, '{"id":1,"op":"fault","set":{"dropto":["n2"],"dropfrom":["n2"]}}');
        assert.equal(answer.error?.code, 'BAD_REQUEST', `a misspelled partition was accepted as no fault at all: ${JSON.stringify(answer)}`);
        assert.match(answer.error?.message ?? '', /dropto/);
      } finally {
        await connection.request({ op: 'fault', clear: true });
        await connection.close();
      }
    }));

  test('oversized keys and values are TOO_LARGE; a frame over the limit closes the connection with 1009', () =>
    withNodeLogs(cluster, async () => {
      await ackedWrite('oversized');
      const leader = await cluster.waitForLeader();
      const connection = await cluster.connect(leader, '/client');
      try {
        const bigValue = await connection.request<ClientAnswer>({ op: 'put', key: `${prefix}-big`, value: 'x'.repeat(MAX_VALUE_BYTES + 1) });
        assert.equal(bigValue.error?.code, 'TOO_LARGE', JSON.stringify(bigValue.error));
        const bigKey = await connection.request<ClientAnswer>({ op: 'get', key: 'k'.repeat(MAX_KEY_BYTES + 1) });
        assert.equal(bigKey.error?.code, 'TOO_LARGE', JSON.stringify(bigKey.error));
        connection.sendRaw(JSON.stringify({ id: 99, op: 'put', key: `${prefix}-huge`, value: 'x'.repeat(MAX_FRAME_BYTES) }));
        assert.equal((await connection.closed).code, 1009);
      } finally {
        await connection.close();
      }
      const admin = await cluster.connect(leader, '/admin');
      admin.sendRaw(JSON.stringify({ id: 1, op: 'status', padding: 'x'.repeat(MAX_FRAME_BYTES) }));
      assert.equal((await admin.closed).code, 1009);

      const { ws, closed } = await openRaft(cluster.member(leader).url);
      ws.send(Buffer.alloc(MAX_PEER_FRAME_BYTES + 1));
      assert.equal((await closed).code, 1009);
      assert.equal((await client.send({ op: 'get', key: `${prefix}-big` })).value, null, 'the refused value was not written');
    }));

  test('a missing, wrong or malformed token is answered 401 on /raft, /client and /admin', () =>
    withNodeLogs(cluster, async () => {
      await ackedWrite('tokens');
      const { url } = cluster.member('n1');
      for (const path of ['/raft', '/client', '/admin']) {
        await assert.rejects(WsClient.connect(`${url}${path}`), /^Error: 401$/, `${path} without a token`);
        await assert.rejects(WsClient.connect(`${url}${path}`, { token: 'wrong' }), /^Error: 401$/, `${path} with a wrong token`);
        await assert.rejects(WsClient.connect(`${url}${path}`, { token: TOKEN.toUpperCase() }), /^Error: 401$/, `${path} with the token in upper case`);
        await assert.rejects(WsClient.connect(`${url}${path}`, { token: `${TOKEN}x` }), /^Error: 401$/, `${path} with a longer token`);
        const basic = new WebSocket(`${url}${path}`, { headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } });
        const status = await new Promise<number>((resolve) => {
          basic.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          basic.once('open', () => resolve(101));
          basic.once('error', () => resolve(-1));
        });
        basic.terminate();
        assert.equal(status, 401, `${path} with Basic auth`);
      }
    }));

  test('/raft refuses a handshake for another cluster, another member, another protocol version or a bad URL', () =>
    withNodeLogs(cluster, async () => {
      await ackedWrite('handshakes');
      const { url } = cluster.member('n1');
      const cluster4001 = await closedAfter(url, handshake({ cluster: 'other' }));
      assert.equal(cluster4001.code, 4001);
      assert.match(cluster4001.reason, /cluster mismatch/);
      const wrongMember = await closedAfter(url, handshake({ to: 'n9' }));
      assert.equal(wrongMember.code, 4002);
      assert.match(wrongMember.reason, /wrong member/);
      const ownId = await closedAfter(url, handshake({ from: 'n1' }));
      assert.equal(ownId.code, 4002);
      const version = await closedAfter(url, handshake({ protocolVersion: PEER_PROTOCOL_VERSION + 1 }));
      assert.equal(version.code, 4003);
      assert.match(version.reason, /protocol version mismatch/);
      // A later version may lay the rest of its handshake out differently: still told as a version mismatch.
      const valid = handshake({});
      const laterLayout = Buffer.concat([valid.subarray(0, 1), Buffer.from([PEER_PROTOCOL_VERSION + 1]), Buffer.from([0xff, 0xff, 0xff])]);
      const later = await closedAfter(url, laterLayout);
      assert.equal(later.code, 4003);
      assert.match(later.reason, new RegExp(`this node speaks ${PEER_PROTOCOL_VERSION}, peer ${PEER_PROTOCOL_VERSION + 1}`));
      // The same bytes with this node's version are a bad frame.
      const garbled = await closedAfter(url, Buffer.concat([valid.subarray(0, 2), Buffer.from([0xff, 0xff, 0xff])]));
      assert.equal(garbled.code, 4000);
      const badUrl = await closedAfter(url, handshake({ url: 'http://127.0.0.1:1/not-a-peer' }));
      assert.equal(badUrl.code, 4006);
      assert.match(badUrl.reason, /not a ws:\/\/ or wss:\/\/ URL/);
    }));

  test('a raft-node of another cluster pointed at this one is refused and changes nothing', () =>
    withNodeLogs(cluster, async () => {
      await ackedWrite('foreign-node');
      const leader = await cluster.waitForLeader();
      const before = await cluster.status('n1');
      const port = await freePort();
      const foreign = new RaftNodeProcess([
        '--id', 'x1',
        '--data', join(cluster.dir, 'foreign-x1'),
        '--listen', `127.0.0.1:${port}`,
        '--cluster', 'other',
        '--token-file', join(cluster.dir, 'token'),
        '--peers', `x1=ws://127.0.0.1:${port},n1=${cluster.member('n1').url}`,
        ...TIMING,
      ]);
      try {
        await foreign.waitHealthy(`http://127.0.0.1:${port}`, 60_000);
        await waitUntil('n1 to log the refusal', 10_000, () => (/cluster mismatch/.test(cluster.member('n1').process.stderr) ? true : undefined));
        await waitUntil('x1 to log that it was refused', 10_000, () => (/4001|cluster mismatch/.test(foreign.stderr) ? true : undefined));
        const after = await cluster.status('n1');
        assert.deepEqual(after.config, before.config);
        assert.deepEqual(after.members, before.members);
        assert.equal(await cluster.waitForLeader(), leader);
        assert.equal(after.term, before.term, 'the foreign node disturbed the election term');
      } finally {
        await foreign.kill();
      }
    }));

  test('garbage on /raft closes that connection with 4000, and raw bytes on the port get HTTP 400', () =>
    withNodeLogs(cluster, async () => {
      await ackedWrite('garbage');
      const { url, port } = cluster.member('n2');
      const text = await closedAfter(url, 'hello, raft');
      assert.equal(text.code, 4000);
      assert.match(text.reason, /binary/);
      const undecodable = await closedAfter(url, Buffer.from([0xff, 0x00, 0x13, 0x37]));
      assert.equal(undecodable.code, 4000);
      assert.match(undecodable.reason, /undecodable/);
      const messagesFirst = await closedAfter(url, encodeFrame({ kind: 'messages', messages: [] }));
      assert.equal(messagesFirst.code, 4000);
      assert.match(messagesFirst.reason, /handshake first/);
      const afterHandshake = await closedAfter(url, handshake({ to: 'n2' }), Buffer.from('garbage after a good handshake'));
      assert.equal(afterHandshake.code, 4000);

      const reply = await new Promise<string>((resolve, reject) => {
        const socket = tcpConnect(port, '127.0.0.1', () => socket.write('\x00\x01\x02 this is not HTTP\r\n\r\n'));
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (data += chunk));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
        socket.setTimeout(5000, () => socket.destroy());
      });
      assert.match(reply, /^HTTP\/1\.1 400/);
    }));

  test('afterwards the cluster still works and no acknowledged write was lost', () =>
    withNodeLogs(cluster, async () => {
      await ackedWrite('afterwards');
      await cluster.waitForLeader();
      const statuses = await waitConverged(cluster, ALL);
      for (const s of statuses) {
        assert.deepEqual(s.config, { voters: ALL, learners: [] }, `${s.id} config`);
        assert.deepEqual(s.members.map((m) => m.id), ALL, `${s.id} members`);
      }
      assert.ok(acked.size >= 8);
      for (const [key, value] of acked) assert.equal((await client.send({ op: 'get', key })).value, value, `acknowledged write of ${key} lost`);
      for (const id of ALL) assert.ok(cluster.member(id).process.running, `${id} is still running`);
    }));
});
