import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it, mock } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { crc32c } from '../../src/node/storage/crc32c.ts';
import { decodeFrame, encodeFrame, MAX_PEER_FRAME_BYTES, PEER_PROTOCOL_VERSION, type PeerFrame, type SnapshotChunk } from '../../src/node/transport/codec.ts';
import { Keepalive, MAX_UNANSWERED_PINGS, PING_INTERVAL_MS } from '../../src/node/transport/keepalive.ts';
import { LEARNED_IDLE_MS, LearnedPeers } from '../../src/node/transport/learned-peers.ts';
import { MAX_BUFFERED_BYTES } from '../../src/node/transport/peer-link.ts';
import { MAX_SNAPSHOT_BYTES, SnapshotAssembler } from '../../src/node/transport/snapshot-assembler.ts';
import { Transport } from '../../src/node/transport/transport.ts';
import { MessageType, type Message, type Snapshot } from '../../src/raft/types.ts';
import { Rng } from '../sim/rng.ts';
import { entry, makeTestTls, Member, mesh, message, StalledPeer, waitFor, type MemberOptions } from './support/transport-harness.ts';

const MiB = 1024 * 1024;
const running: { stop(): Promise<void> }[] = [];

async function member(id: string, options: MemberOptions = {}): Promise<Member> {
  const m = await Member.start(id, options);
  running.push(m);
  return m;
}

async function stop(m: { stop(): Promise<void> }): Promise<void> {
  running.splice(running.indexOf(m), 1);
  await m.stop();
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => m.stop()));
});

function snapshot(index: number, data: Uint8Array): Snapshot {
  return { meta: { index, term: 3, conf: { voters: ['n1', 'n2'], learners: [], urls: { n1: 'ws://a:1', n2: 'ws://b:2' } } }, data };
}

function snap(from: string, to: string, index: number, data: Uint8Array): Message {
  return message(from, to, { type: MessageType.Snap, term: 4, snapshot: snapshot(index, data) });
}

/** A hand-driven peer's handshake; by default it advertises a URL where nothing listens. */
function handshakeFrame(from: string, to: string, url = 'ws://127.0.0.1:1'): Buffer {
  return encodeFrame({ kind: 'handshake', handshake: { cluster: 'test', from, to, protocolVersion: PEER_PROTOCOL_VERSION, url } });
}

/** A chunk of snapshot 5 (term 3) from n1 to n2, as a hand-driven peer sends it. */
function chunkFrame(offset: number, bytes: ArrayLike<number>, totalBytes: number, checksum?: number): Buffer {
  return encodeFrame({
    kind: 'snapshot-chunk',
    chunk: {
      from: 'n1',
      to: 'n2',
      term: 4,
      snapshotIndex: 5,
      snapshotTerm: 3,
      offset,
      totalBytes,
      data: Uint8Array.from(bytes),
      last: offset + bytes.length === totalBytes,
      ...(offset === 0 ? { meta: snapshot(5, new Uint8Array(0)).meta } : {}),
      ...(checksum === undefined ? {} : { crc32c: checksum }),
    },
  });
}

/** A hand-driven connection to `to`'s `/raft`, closed after the test. */
async function dialRaw(to: Member): Promise<WebSocket> {
  const ws = new WebSocket(`${to.url}/raft`, { perMessageDeflate: false });
  ws.on('error', () => {});
  running.push({ stop: async () => ws.terminate() });
  await once(ws, 'open', { signal: AbortSignal.timeout(5000) });
  return ws;
}

/** Resolves once `to` has handled every frame `ws` sent before: it answers pings in order. */
async function handled(ws: WebSocket): Promise<void> {
  ws.ping();
  await once(ws, 'pong', { signal: AbortSignal.timeout(5000) });
}

/** Sends `marker` after everything else and waits for it: per-peer order then proves what was dropped. */
async function sendMarker(from: Member, to: Member): Promise<void> {
  from.transport.send([message(from.id, to.id, { context: 'marker' })]);
  await waitFor(() => to.received.some((m) => m.context === 'marker'), 'the marker');
}

describe('Transport', () => {
  it('delivers each send() to a peer as one frame, decoded intact, in both directions', async () => {
    const [a, b, c] = await Promise.all([member('n1'), member('n2'), member('n3')]);
    await mesh([a, b, c]);
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const batch = [
      message('n1', 'n2', { type: MessageType.App, term: 3, logTerm: 2, index: 7, commit: 5, entries: [entry(8, data, 3), entry(9, new Uint8Array(0), 3)] }),
      message('n1', 'n3', { type: MessageType.Vote, term: 3, index: 9, logTerm: 3 }),
      message('n1', 'n2', { term: 3, commit: 5, context: 'read-1' }),
      message('n1', 'n2', { type: MessageType.ReadIndexResp, term: 3, index: 9, context: 'read-2' }),
    ];
    const sentBefore = a.transport.peerStats().n2.framesSent;
    a.transport.send(batch);
    await waitFor(() => b.received.length === 3 && c.received.length === 1, 'the batch');
    assert.deepEqual(b.deliveries, [3]);
    assert.deepEqual(b.received, [batch[0], batch[2], batch[3]]);
    assert.deepEqual(c.received, [batch[1]]);
    assert.equal(a.transport.peerStats().n2.framesSent - sentBefore, 1);

    b.transport.send([message('n2', 'n1', { type: MessageType.AppResp, term: 3, index: 8, reject: true, rejectHint: 4 })]);
    await waitFor(() => a.received.length === 1, 'the answer');
    assert.equal(a.received[0].rejectHint, 4);
    assert.equal(a.received[0].reject, true);
    assert.deepEqual(a.unreachable, []);
  });

  it('drops and reports sends while a peer is down, and redials it once it is back', async () => {
    const a = await member('n1');
    let b = await member('n2');
    const port = b.port;
    await mesh([a, b]);
    await stop(b);
    await waitFor(() => !a.transport.peerStats().n2.connected, 'n1 notices n2 is gone');
    a.transport.send([message('n1', 'n2', { term: 1 })]);
    assert.deepEqual(a.unreachable, ['n2']);
    assert.equal(a.transport.peerStats().n2.framesDropped, 1);
    a.transport.send([snap('n1', 'n2', 10, new Uint8Array(10))]);
    assert.deepEqual(a.snapshotsSent, [{ to: 'n2', ok: false, index: 10, term: 3, bytes: 0, durationMs: 0 }]);

    b = await member('n2', { port });
    await waitFor(() => a.transport.peerStats().n2.connected, 'n1 redials n2');
    a.transport.send([message('n1', 'n2', { term: 2 })]);
    await waitFor(() => b.received.length === 1, 'a message after the restart');
    assert.equal(b.received[0].term, 2);
    assert.ok(a.transport.peerStats().n2.reconnects >= 1);
  });

  it('closes the link to a removed peer, failing its snapshot in flight, and reports sends to it', async () => {
    const [a, b] = await Promise.all([member('n1'), member('n2')]);
    await mesh([a, b]);
    a.transport.send([snap('n1', 'n2', 9, randomBytes(8 * MiB))]);
    a.transport.setPeers({});
    assert.deepEqual(a.snapshotsSent.map((r) => [r.to, r.ok]), [['n2', false]]);
    assert.deepEqual(a.transport.peerStats(), {});
    a.transport.send([message('n1', 'n2')]);
    assert.deepEqual(a.unreachable, ['n2']);
    assert.ok(a.logged('warn', /no URL known for this peer/));
    assert.equal(b.received.filter((m) => m.type === MessageType.Snap).length, 0);
  });

  it('refuses a peer from another cluster, or one that dialled the wrong member, saying why on both sides', async () => {
    const a = await member('n1', { transport: { cluster: 'alpha' } });
    const b = await member('n2', { transport: { cluster: 'beta' } });
    a.transport.setPeers({ n2: b.url });
    const reason = /cluster mismatch: this node is in 'beta', peer says 'alpha'/;
    await waitFor(() => b.logged('error', reason) && a.logged('error', reason), 'the refusal logged on both sides');
    assert.ok(a.logs.some((l) => l.level === 'error' && /code 4001/.test(l.msg)));

    const c = await member('n3', { transport: { cluster: 'alpha' } });
    a.transport.setPeers({ n2: b.url, n4: c.url });
    const wrong = /wrong member: this is 'n3', the peer dialled 'n4'/;
    await waitFor(() => c.logged('error', wrong) && a.logged('error', wrong), 'the wrong-member refusal');
    a.transport.send([message('n1', 'n2'), message('n1', 'n4')]);
    assert.deepEqual(b.received, []);
    assert.deepEqual(c.received, []);
  });

  it('dials with the bearer token, and logs a peer that turns it away', async () => {
    const b = await member('n2', { requireToken: 's3cret' });
    const good = await member('n1', { transport: { token: 's3cret' } });
    const bad = await member('n3', { transport: { token: 'wrong' } });
    good.transport.setPeers({ n2: b.url });
    bad.transport.setPeers({ n2: b.url });
    await waitFor(() => good.transport.peerStats().n2.connected, 'the link with the right token');
    await waitFor(() => bad.transport.peerStats().n2.reconnects >= 3, 'a few redials');
    assert.ok(bad.logged('warn', /cannot connect to ws:\/\/127\.0\.0\.1:\d+\/raft: .*401/), 'the refusal logged');
    assert.equal(bad.transport.peerStats().n2.connected, false);
    assert.equal(bad.logs.filter((l) => /401/.test(l.msg)).length, 1, 'a peer that stays away is logged once');
  });

  it('dials wss:// peers, verifying them against the CA it was given', async () => {
    const tls = makeTestTls();
    const b = await member('n2', { tls: { cert: tls.cert, key: tls.key } });
    const trusting = await member('n1', { transport: { tls: { ca: tls.ca } } });
    const doubting = await member('n3');
    trusting.transport.setPeers({ n2: b.url });
    doubting.transport.setPeers({ n2: b.url });
    await waitFor(() => trusting.transport.peerStats().n2.connected, 'the TLS link');
    trusting.transport.send([message('n1', 'n2', { term: 5 })]);
    await waitFor(() => b.received.length === 1, 'a message over TLS');
    await waitFor(() => doubting.logged('warn', /cannot connect to wss:.*certificate/), 'the untrusted certificate refused');
    assert.equal(doubting.transport.peerStats().n2.connected, false);
  });

  it('closes a socket that sends garbage or breaks the protocol, and keeps serving', async () => {
    const b = await member('n2');
    const cases: [string, (ws: WebSocket) => void, RegExp][] = [
      ['random bytes', (ws) => ws.send(Buffer.from([0xff, 1, 2, 3])), /undecodable frame/],
      ['a text frame', (ws) => ws.send('hello'), /expected binary frames/],
      ['messages before the handshake', (ws) => ws.send(encodeFrame({ kind: 'messages', messages: [message('n1', 'n2')] })), /expected a handshake first/],
      ['garbage after the handshake', (ws) => (ws.send(handshakeFrame('n1', 'n2')), ws.send(Buffer.from([2, 5]))), /undecodable frame/],
      [
        'a message from a member other than the one that dialled',
        (ws) => (ws.send(handshakeFrame('n1', 'n2')), ws.send(encodeFrame({ kind: 'messages', messages: [message('n9', 'n2')] }))),
        /a message from 'n9' to 'n2' on the connection from 'n1'/,
      ],
    ];
    for (const [what, misbehave, reason] of cases) {
      const ws = new WebSocket(`${b.url}/raft`, { perMessageDeflate: false });
      ws.on('error', () => {});
      await once(ws, 'open', { signal: AbortSignal.timeout(5000) });
      const closed = once(ws, 'close', { signal: AbortSignal.timeout(5000) });
      misbehave(ws);
      const [code] = (await closed) as [number];
      assert.equal(code, 4000, what);
      const line = b.logs.find((l) => l.level === 'warn' && reason.test(l.msg));
      assert.ok(line, `${what}: no warning matching ${reason}`);
      assert.match(String((line.obj as { address?: string }).address), /^127\.0\.0\.1:\d+$/);
    }
    assert.equal(b.received.length, 0);

    const a = await member('n1');
    await mesh([a, b]);
    a.transport.send([message('n1', 'n2', { term: 7 })]);
    await waitFor(() => b.received.length === 1, 'a good peer still gets through');
    assert.equal(b.received[0].term, 7);
  });

  it('sends a snapshot of several MiB in chunks, delivers it whole, and reports it sent', async () => {
    const [a, b] = await Promise.all([member('n1'), member('n2')]);
    await mesh([a, b]);
    const data = randomBytes(5 * MiB + 12_345);
    const sent = snap('n1', 'n2', 100, data);
    a.transport.send([sent, message('n1', 'n2', { term: 4, context: 'beside' })]);
    a.transport.send([message('n1', 'n2', { term: 4, context: 'after' })]);
    await waitFor(() => a.snapshotsSent.length === 1 && b.received.length === 3, 'the snapshot and both heartbeats', 10_000);

    const got = b.received.filter((m) => m.type === MessageType.Snap);
    assert.equal(got.length, 1);
    assert.equal(got[0].from, 'n1');
    assert.equal(got[0].term, 4);
    assert.deepEqual(got[0].snapshot?.meta, sent.snapshot?.meta);
    assert.ok(Buffer.from(got[0].snapshot?.data ?? []).equals(data), 'snapshot data differs');
    assert.deepEqual(
      a.snapshotsSent.map((r) => [r.to, r.ok, r.index, r.term, r.bytes]),
      [['n2', true, 100, 3, data.length]],
    );
    assert.ok(a.snapshotsSent[0].durationMs > 0);
  });

  it('lets a newer snapshot to the same peer replace one still being sent', async () => {
    const [a, b] = await Promise.all([member('n1'), member('n2')]);
    await mesh([a, b]);
    const newer = randomBytes(3 * MiB);
    a.transport.send([snap('n1', 'n2', 100, randomBytes(8 * MiB))]);
    a.transport.send([snap('n1', 'n2', 200, newer)]);
    await waitFor(() => a.snapshotsSent.length === 1 && b.received.length === 1, 'the newer snapshot', 10_000);
    assert.equal(b.received[0].snapshot?.meta.index, 200);
    assert.ok(Buffer.from(b.received[0].snapshot?.data ?? []).equals(newer));
    assert.deepEqual(a.snapshotsSent.map((r) => [r.ok, r.bytes]), [[true, newer.length]]);
  });

  describe('faults', () => {
    it('dropTo drops outgoing messages and snapshots to that peer until cleared', async () => {
      const [a, b] = await Promise.all([member('n1'), member('n2')]);
      await mesh([a, b]);
      a.transport.setFaults({ dropTo: ['n2'] });
      a.transport.send([message('n1', 'n2', { context: 'dropped' }), snap('n1', 'n2', 5, new Uint8Array(100))]);
      assert.deepEqual(a.snapshotsSent, [{ to: 'n2', ok: false, index: 5, term: 3, bytes: 0, durationMs: 0 }]);
      a.transport.clearFaults();
      await sendMarker(a, b);
      assert.deepEqual(b.received.map((m) => m.context), ['marker']);
    });

    it('dropFrom drops incoming messages and snapshot chunks from that peer', async () => {
      const b = await member('n2');
      b.transport.setFaults({ dropFrom: ['n1'] });
      const ws = await dialRaw(b);
      ws.send(handshakeFrame('n1', 'n2'));
      ws.send(encodeFrame({ kind: 'messages', messages: [message('n1', 'n2', { context: 'dropped' })] }));
      ws.send(chunkFrame(0, [1, 2], 4));
      ws.send(chunkFrame(2, [3, 4], 4));
      ws.send(chunkFrame(0, [5], 2)); // its second half arrives once the fault is gone: still incomplete
      await handled(ws);
      b.transport.setFaults({ dropFrom: [] });
      ws.send(chunkFrame(1, [6], 2));
      ws.send(encodeFrame({ kind: 'messages', messages: [message('n1', 'n2', { context: 'marker' })] }));
      await waitFor(() => b.received.length > 0, 'the marker');
      assert.deepEqual(b.received.map((m) => m.context), ['marker']);
      assert.ok(b.logged('warn', /discarded a snapshot: chunk at offset 1 of snapshot 5 arrived without its first chunk/));
    });

    it('lossRate 1 loses everything, snapshots reported failed', async () => {
      const [a, b] = await Promise.all([member('n1'), member('n2')]);
      await mesh([a, b]);
      a.transport.setFaults({ lossRate: 1 });
      for (let i = 0; i < 20; i++) a.transport.send([message('n1', 'n2', { index: i })]);
      a.transport.send([snap('n1', 'n2', 5, new Uint8Array(100))]);
      assert.deepEqual(a.snapshotsSent.map((r) => r.ok), [false]);
      a.transport.setFaults({ lossRate: 0 });
      await sendMarker(a, b);
      assert.deepEqual(b.received.map((m) => m.context), ['marker']);
    });

    it('duplicateRate 1 delivers every message twice, next to itself', async () => {
      const [a, b] = await Promise.all([member('n1'), member('n2')]);
      await mesh([a, b]);
      a.transport.setFaults({ duplicateRate: 1 });
      a.transport.send([message('n1', 'n2', { index: 1 }), message('n1', 'n2', { index: 2 })]);
      await waitFor(() => b.received.length === 4, 'four messages');
      assert.deepEqual(b.received.map((m) => m.index), [1, 1, 2, 2]);
      assert.deepEqual(b.deliveries, [4]);
    });

    it('delays messages, keeping their order when there is no jitter', async () => {
      const [a, b] = await Promise.all([member('n1'), member('n2')]);
      await mesh([a, b]);
      a.transport.setFaults({ delayMs: 150 });
      const start = performance.now();
      for (let i = 0; i < 30; i++) a.transport.send([message('n1', 'n2', { index: i })]);
      a.transport.setFaults({ delayMs: 20 }); // a shorter delay must not let later messages overtake
      a.transport.send([message('n1', 'n2', { index: 30 })]);
      await waitFor(() => b.received.length === 31, 'every delayed message');
      assert.ok(performance.now() - start >= 150, 'arrived before the delay was over');
      assert.deepEqual(b.received.map((m) => m.index), Array.from({ length: 31 }, (_, i) => i));
      assert.ok(b.deliveries.length < 31, 'messages due together should leave as one frame');
    });

    it('jitter reorders messages but delivers all of them', async () => {
      const rng = new Rng(7);
      const a = await member('n1', { transport: { random: () => rng.float() } });
      const b = await member('n2');
      await mesh([a, b]);
      a.transport.setFaults({ delayMs: 10, jitterMs: 100 });
      for (let i = 0; i < 50; i++) a.transport.send([message('n1', 'n2', { index: i })]);
      await waitFor(() => b.received.length === 50, 'every jittered message');
      const order = b.received.map((m) => m.index);
      assert.deepEqual([...order].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
      assert.notDeepEqual(order, Array.from({ length: 50 }, (_, i) => i));
    });

    it('validates faults and merges the fields given into those in force', async () => {
      const a = await member('n1');
      assert.throws(() => a.transport.setFaults({ lossRate: 2 }), /lossRate: must be from 0 to 1/);
      assert.throws(() => a.transport.setFaults({ delayMs: -1 }), /delayMs/);
      assert.throws(() => a.transport.setFaults({ dropTo: ['Not An Id'] }), /dropTo/);
      a.transport.setFaults({ delayMs: 5 });
      const state = a.transport.setFaults({ dropTo: ['n2'], duplicateRate: 0.5 });
      assert.deepEqual(state, { dropTo: ['n2'], dropFrom: [], delayMs: 5, jitterMs: 0, lossRate: 0, duplicateRate: 0.5 });
      assert.deepEqual(a.transport.faults(), state);
      assert.deepEqual(a.transport.clearFaults(), { dropTo: [], dropFrom: [], delayMs: 0, jitterMs: 0, lossRate: 0, duplicateRate: 0 });
    });
  });

  it('drops messages to a peer that stops reading, keeping its buffer bounded', async () => {
    const stalled = await StalledPeer.start();
    running.push(stalled);
    const a = await member('n1');
    a.transport.setPeers({ n2: stalled.url });
    await waitFor(() => a.transport.peerStats().n2.connected, 'connected to the stalled peer');
    const data = new Uint8Array(MiB);
    const sends = 80;
    for (let i = 0; i < sends; i++) {
      a.transport.send([message('n1', 'n2', { type: MessageType.App, entries: [entry(i + 1, data)] })]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const stats = a.transport.peerStats().n2;
    assert.ok(stats.framesDropped > 0, 'nothing was dropped');
    assert.equal(stats.framesSent + stats.framesDropped, sends);
    assert.ok(stats.queuedBytes <= MAX_BUFFERED_BYTES + 2 * MiB, `${stats.queuedBytes} bytes queued`);
    assert.ok(a.unreachable.length > 0 && a.unreachable.every((id) => id === 'n2'));
  });

  it('sends the CRC-32C of the whole snapshot with its last chunk, and its own URL in the handshake', async () => {
    const frames: PeerFrame[] = [];
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: MAX_PEER_FRAME_BYTES });
    running.push({ stop: () => new Promise<void>((resolve) => (wss.clients.forEach((ws) => ws.terminate()), wss.close(() => resolve()))) });
    await once(wss, 'listening');
    wss.on('connection', (ws) => ws.on('message', (data) => frames.push(decodeFrame(data as Buffer))));
    const a = await member('n1');
    a.transport.setPeers({ n2: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` });
    await waitFor(() => a.transport.peerStats().n2.connected, 'the link');
    const data = randomBytes(2 * MiB + 5);
    a.transport.send([snap('n1', 'n2', 42, data)]);
    await waitFor(() => frames.length === 4, 'the handshake and three chunks');
    assert.deepEqual(frames[0], { kind: 'handshake', handshake: { cluster: 'test', from: 'n1', to: 'n2', protocolVersion: PEER_PROTOCOL_VERSION, url: a.url } });
    const checksums = frames.slice(1).map((frame) => (frame.kind === 'snapshot-chunk' ? frame.chunk.crc32c : 'not a chunk'));
    assert.deepEqual(checksums, [undefined, undefined, crc32c(data)]);
  });

  it('refuses a snapshot whose bytes do not match the checksum on its last chunk, and takes a good one after', async () => {
    const b = await member('n2');
    const ws = await dialRaw(b);
    ws.send(handshakeFrame('n1', 'n2'));
    const data = [1, 2, 3, 4, 5, 6];
    const corrupted = [1, 2, 3, 4, 0xf5, 6];
    ws.send(chunkFrame(0, corrupted.slice(0, 3), 6));
    ws.send(chunkFrame(3, corrupted.slice(3), 6, crc32c(Uint8Array.from(data))));
    await handled(ws);
    assert.ok(b.logged('warn', /discarded a snapshot: snapshot 5 fails its checksum/));
    assert.equal(b.received.length, 0);

    ws.send(chunkFrame(0, data.slice(0, 3), 6));
    ws.send(chunkFrame(3, data.slice(3), 6, crc32c(Uint8Array.from(data))));
    await waitFor(() => b.received.length === 1, 'the intact snapshot');
    assert.deepEqual([...(b.received[0].snapshot?.data ?? [])], data);
  });

  it('cuts and redials a link whose peer stops answering pings, and keeps the links that answer', async () => {
    const stalled = await StalledPeer.start();
    running.push(stalled);
    const [a, c] = await Promise.all([member('n1'), member('n3')]);
    a.transport.setPeers({ n2: stalled.url, n3: c.url });
    await waitFor(() => a.transport.peerStats().n2.connected && a.transport.peerStats().n3.connected, 'both links');
    const silentMs = MAX_UNANSWERED_PINGS * PING_INTERVAL_MS;
    await waitFor(() => a.transport.peerStats().n2.reconnects >= 1, 'a redial of the silent peer', silentMs + PING_INTERVAL_MS + 3000);
    assert.ok(a.logged('warn', /the peer answered no ping for 6 s; reconnecting/));
    const live = a.transport.peerStats().n3;
    assert.deepEqual([live.connected, live.reconnects], [true, 0], 'a peer that answers keeps its link');
  });

  describe('peers learned from their handshakes', () => {
    it('answers a peer that setPeers does not name at the URL from its handshake, until setPeers names it and drops it', async () => {
      const [leader, joiner] = await Promise.all([member('n1'), member('n4')]);
      leader.transport.setPeers({ n4: joiner.url });
      await waitFor(() => leader.transport.peerStats().n4.connected, 'the leader dials the joiner');
      assert.deepEqual(joiner.transport.peerStats(), {}, 'a handshake alone makes no link');

      leader.transport.send([message('n1', 'n4', { type: MessageType.App, term: 2, index: 1 })]);
      await waitFor(() => joiner.transport.peerStats().n1?.connected === true, 'the joiner dials the leader back');
      assert.ok(joiner.logged('info', /answering it at the URL from its handshake/));
      joiner.transport.send([message('n4', 'n1', { type: MessageType.AppResp, term: 2, index: 1 })]);
      await waitFor(() => leader.received.length === 1, 'the answer');
      assert.equal(leader.received[0].type, MessageType.AppResp);

      // Named with the same URL: the learned link carries on as an ordinary one.
      joiner.transport.setPeers({ n1: leader.url });
      assert.deepEqual([joiner.transport.peerStats().n1.connected, joiner.transport.peerStats().n1.reconnects], [true, 0]);

      // Named, then dropped: a member removed from the configuration, never learned again.
      joiner.transport.setPeers({});
      assert.deepEqual(joiner.transport.peerStats(), {});
      leader.transport.send([message('n1', 'n4', { context: 'after removal' })]);
      await waitFor(() => joiner.received.some((m) => m.context === 'after removal'), 'a message from the removed member');
      assert.deepEqual(joiner.transport.peerStats(), {});
      joiner.transport.send([message('n4', 'n1')]);
      assert.deepEqual(joiner.unreachable, ['n1']);
    });

    it("lets setPeers' URL win over the one from the handshake", async () => {
      const [a, b] = await Promise.all([member('n1'), member('n2')]);
      a.transport.setPeers({ n2: b.url });
      await waitFor(() => a.transport.peerStats().n2.connected, 'the link');
      a.transport.send([message('n1', 'n2')]);
      await waitFor(() => b.transport.peerStats().n1?.connected === true, 'the learned link');
      b.transport.setPeers({ n1: 'ws://127.0.0.1:1' });
      await waitFor(() => b.logged('warn', /cannot connect to ws:\/\/127\.0\.0\.1:1\/raft/), 'a dial to the configured URL');
      a.transport.send([message('n1', 'n2', { context: 'again' })]);
      await waitFor(() => b.received.length === 2, 'more frames from n1');
      assert.equal(b.transport.peerStats().n1.connected, false, 'frames from n1 do not bring its handshake URL back');
    });

    it('refuses a handshake whose URL this node could not dial back', async () => {
      const b = await member('n2');
      for (const url of ['http://127.0.0.1:1', 'ws://', `ws://${'h'.repeat(2050)}:1`]) {
        const ws = await dialRaw(b);
        const closed = once(ws, 'close', { signal: AbortSignal.timeout(5000) });
        ws.send(handshakeFrame('n1', 'n2', url));
        const [code] = (await closed) as [number];
        assert.equal(code, 4006, url.slice(0, 30));
      }
      assert.ok(b.logged('error', /the peer's URL "http:\/\/127\.0\.0\.1:1" is not a ws:\/\/ or wss:\/\/ URL/));
      assert.deepEqual(b.transport.peerStats(), {});
    });

    it('refuses to start without an advertise URL peers could dial', () => {
      const ignore = () => {};
      const log = { info: ignore, warn: ignore, error: ignore };
      for (const advertise of ['', '127.0.0.1:7001', 'http://h:1', `ws://${'h'.repeat(2050)}`]) {
        assert.throws(
          () => new Transport({ id: 'n1', cluster: 'test', advertise, log, onMessages: ignore, onSnapshotSent: ignore, onUnreachable: ignore }),
          /advertise URL .* is not a ws:\/\/ or wss:\/\/ URL with a host/,
        );
      }
    });
  });

  it('close() cancels every timer and closes every socket', async () => {
    const kinds = ['Timeout', 'TCPSocketWrap', 'TCPServerWrap'];
    const handles = () => kinds.map((kind) => process.getActiveResourcesInfo().filter((r) => r === kind).length);
    // The last test's handles may still be going away: compare against at most these.
    const baseline = handles();
    const [a, b] = await Promise.all([member('n1'), member('n2')]);
    await mesh([a, b]);
    a.transport.setPeers({ n2: b.url, n3: 'ws://127.0.0.1:1' }); // refused: a redial timer
    a.transport.setFaults({ delayMs: 10_000 });
    a.transport.send([message('n1', 'n2')]); // held by a delay timer
    b.transport.send([snap('n2', 'n1', 9, randomBytes(6 * MiB))]); // a snapshot in flight
    assert.ok(handles().some((count, i) => count > baseline[i]));
    await stop(a);
    await stop(b);
    await waitFor(() => handles().every((count, i) => count <= baseline[i]), `${kinds.join('/')} back to ${baseline.join('/')} (now ${handles().join('/')})`);
  });
});

describe('SnapshotAssembler', () => {
  const meta = snapshot(7, new Uint8Array(0)).meta;
  function chunk(offset: number, data: number[], totalBytes: number, index = 7): SnapshotChunk {
    const c: SnapshotChunk = {
      from: 'n1',
      to: 'n2',
      term: 4,
      snapshotIndex: index,
      snapshotTerm: 3,
      offset,
      totalBytes,
      data: Uint8Array.from(data),
      last: offset + data.length === totalBytes,
    };
    if (offset === 0) c.meta = { ...meta, index };
    return c;
  }

  it('joins chunks into one Snap message', () => {
    const assembler = new SnapshotAssembler();
    assert.deepEqual(assembler.add(chunk(0, [1, 2], 5)), { kind: 'partial' });
    const result = assembler.add(chunk(2, [3, 4, 5], 5));
    assert.equal(result.kind, 'complete');
    if (result.kind !== 'complete') return;
    assert.equal(result.message.type, MessageType.Snap);
    assert.deepEqual([...(result.message.snapshot?.data ?? [])], [1, 2, 3, 4, 5]);
    assert.deepEqual(result.message.snapshot?.meta, meta);
  });

  it('lets a new snapshot replace a partial one, and discards chunks that do not continue it', () => {
    const assembler = new SnapshotAssembler();
    assembler.add(chunk(0, [1, 2], 5));
    assert.equal(assembler.add(chunk(0, [9], 2, 8)).kind, 'partial');
    const stale = assembler.add(chunk(2, [3, 4, 5], 5));
    assert.equal(stale.kind, 'discarded');
    assert.match(stale.kind === 'discarded' ? stale.reason : '', /does not continue snapshot 8/);
    assert.equal(assembler.add(chunk(1, [9], 2, 8)).kind, 'discarded', 'the partial one was dropped with the bad chunk');
  });

  it('refuses a snapshot larger than the limit before allocating it', () => {
    const assembler = new SnapshotAssembler();
    const result = assembler.add(chunk(0, [1], MAX_SNAPSHOT_BYTES + 1));
    assert.equal(result.kind, 'discarded');
  });

  it('checks the whole snapshot against the checksum of its last chunk', () => {
    const assembler = new SnapshotAssembler();
    const whole = Uint8Array.from([1, 2, 3, 4, 5]);
    assembler.add(chunk(0, [1, 2], 5));
    assert.equal(assembler.add({ ...chunk(2, [3, 4, 5], 5), crc32c: crc32c(whole) }).kind, 'complete');
    assembler.add(chunk(0, [1, 2], 5));
    const bad = assembler.add({ ...chunk(2, [3, 4, 6], 5), crc32c: crc32c(whole) });
    assert.equal(bad.kind, 'discarded');
    assert.match(bad.kind === 'discarded' ? bad.reason : '', /^snapshot 7 fails its checksum: CRC-32C [0-9a-f]{8} of the 5 bytes received, [0-9a-f]{8} sent$/);
  });
});

describe('LearnedPeers', () => {
  it('learns a peer nothing links to, and forgets it once it has been silent for LEARNED_IDLE_MS', () => {
    const peers = new LearnedPeers();
    assert.equal(peers.heard('n2', true, 0), false, 'setPeers links to it');
    assert.equal(peers.heard('n4', false, 0), true);
    assert.equal(peers.heard('n4', true, 1000), false, 'learned already: only its time moves');
    assert.deepEqual(peers.expire(LEARNED_IDLE_MS + 999), []);
    assert.deepEqual(peers.expire(LEARNED_IDLE_MS + 1000), ['n4']);
    assert.equal(peers.has('n4'), false);
    assert.equal(peers.heard('n4', false, LEARNED_IDLE_MS + 2000), true, 'it may be learned again');
  });

  it('hands a peer setPeers names over to it, and never learns one it named and then dropped', () => {
    const peers = new LearnedPeers();
    peers.heard('n4', false, 0);
    peers.named('n4');
    assert.equal(peers.has('n4'), false);
    assert.deepEqual(peers.expire(LEARNED_IDLE_MS), [], 'a named peer never expires here');
    peers.dropped('n4');
    assert.equal(peers.heard('n4', false, 1), false);
    peers.named('n4');
    peers.dropped('n4');
    assert.equal(peers.heard('n5', false, 1), true, 'other peers are still learned');
  });
});

describe('Keepalive', () => {
  /** A socket that counts pings and answers only when told to. */
  class FakeSocket extends EventEmitter {
    bufferedAmount = 0;
    pings = 0;
    ping(): void {
      this.pings++;
    }
  }

  function start(): { ws: FakeSocket; keepalive: Keepalive; deaths: () => number } {
    const ws = new FakeSocket();
    let deaths = 0;
    const keepalive = new Keepalive(ws as unknown as WebSocket, () => deaths++);
    return { ws, keepalive, deaths: () => deaths };
  }

  afterEach(() => mock.timers.reset());

  // (Node 20's mocked clearInterval does not work from inside the callback, so what follows a
  // death is left to the test with real sockets above.)
  it(`gives up on a peer once ${MAX_UNANSWERED_PINGS} pings in a row went unanswered`, () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const { ws, deaths } = start();
    mock.timers.tick(PING_INTERVAL_MS * MAX_UNANSWERED_PINGS);
    assert.deepEqual([ws.pings, deaths()], [MAX_UNANSWERED_PINGS, 0]);
    mock.timers.tick(PING_INTERVAL_MS);
    assert.deepEqual([ws.pings, deaths()], [MAX_UNANSWERED_PINGS, 1]);
  });

  it('counts a pong, or a write that drains a backlog, as an answer; a write with nothing queued proves nothing', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const { ws, keepalive, deaths } = start();
    for (let i = 0; i < 10; i++) {
      mock.timers.tick(PING_INTERVAL_MS);
      ws.emit('pong');
    }
    ws.bufferedAmount = 1000;
    for (let i = 0; i < 10; i++) {
      mock.timers.tick(PING_INTERVAL_MS);
      keepalive.wrote();
    }
    assert.equal(deaths(), 0);
    ws.bufferedAmount = 0;
    for (let i = 0; i <= MAX_UNANSWERED_PINGS; i++) {
      mock.timers.tick(PING_INTERVAL_MS);
      keepalive.wrote();
    }
    assert.equal(deaths(), 1);
  });

  it('stop() ends the pings', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const { ws, keepalive, deaths } = start();
    keepalive.stop();
    mock.timers.tick(PING_INTERVAL_MS * 10);
    assert.deepEqual([ws.pings, deaths()], [0, 0]);
  });
});
