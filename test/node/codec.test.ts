import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CodecError,
  decodeFrame,
  encodeFrame,
  MAX_PEER_FRAME_BYTES,
  PEER_PROTOCOL_VERSION,
  type PeerFrame,
  type SnapshotChunk,
} from '../../src/node/transport/codec.ts';
import { EntryType, MessageType, type Entry, type Message } from '../../src/raft/types.ts';
import { Rng } from '../sim/rng.ts';

const MAX = Number.MAX_SAFE_INTEGER;

function message(type: MessageType, fields: Partial<Message> = {}): Message {
  return { type, from: 'n1', to: 'n2', term: 0, logTerm: 0, index: 0, commit: 0, entries: [], reject: false, rejectHint: 0, context: '', ...fields };
}

function entry(index: number, data: number[] | Uint8Array, type = EntryType.Normal, term = 3): Entry {
  return { term, index, type, data: data instanceof Uint8Array ? data : Uint8Array.from(data) };
}

function roundTrip(frame: PeerFrame): PeerFrame {
  const decoded = decodeFrame(encodeFrame(frame));
  assert.deepStrictEqual(decoded, frame);
  return decoded;
}

function rejects(input: Uint8Array, message: RegExp): void {
  assert.throws(() => decodeFrame(input), (error: unknown) => {
    assert.ok(error instanceof CodecError, `expected a CodecError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

const everyMessage: Message[] = [
  message(MessageType.App, { term: 5, logTerm: 4, index: 10, commit: 9, entries: [entry(11, [1, 2, 3]), entry(12, [], EntryType.Normal, 5), entry(13, allBytes, EntryType.Conf, 5)] }),
  message(MessageType.App, { term: 5, logTerm: 5, index: 13, commit: 13 }),
  message(MessageType.AppResp, { from: 'n2', to: 'n1', term: 5, index: 13 }),
  message(MessageType.AppResp, { from: 'n2', to: 'n1', term: 5, index: 20, reject: true, rejectHint: 17, logTerm: 4 }),
  message(MessageType.Heartbeat, { term: 5, commit: 13, context: 'read-42' }),
  message(MessageType.HeartbeatResp, { from: 'n2', to: 'n1', term: 5, context: 'read-42' }),
  message(MessageType.PreVote, { term: 6, index: 13, logTerm: 5 }),
  message(MessageType.PreVoteResp, { term: 6, reject: true }),
  message(MessageType.Vote, { term: 6, index: 13, logTerm: 5, context: 'transfer' }),
  message(MessageType.VoteResp, { term: 6 }),
  message(MessageType.TimeoutNow, { term: 5 }),
  message(MessageType.ReadIndex, { term: 5, context: 'ctx-1' }),
  message(MessageType.ReadIndexResp, { term: 5, index: 13, context: 'ctx-1' }),
];

function chunk(fields: Partial<SnapshotChunk> = {}): SnapshotChunk {
  return { from: 'n1', to: 'n4', term: 9, snapshotIndex: 1000, snapshotTerm: 8, offset: 0, totalBytes: 10, data: new Uint8Array(4).fill(7), last: false, ...fields };
}

const firstChunk = chunk({
  meta: {
    index: 1000,
    term: 8,
    conf: { voters: ['n1', 'n2', 'n3'], learners: ['n4'], urls: { n1: 'ws://127.0.0.1:7001', n2: 'ws://127.0.0.1:7002', n4: 'wss://h:4' } },
  },
});

const sampleFrames: PeerFrame[] = [
  { kind: 'handshake', handshake: { cluster: 'default', from: 'n1', to: 'n2', protocolVersion: PEER_PROTOCOL_VERSION, url: 'ws://127.0.0.1:7001' } },
  { kind: 'messages', messages: everyMessage },
  { kind: 'snapshot-chunk', chunk: firstChunk },
  { kind: 'snapshot-chunk', chunk: chunk({ offset: 4, data: Uint8Array.from([1, 2, 3, 4, 5, 6]), last: true }) },
  { kind: 'snapshot-chunk', chunk: chunk({ offset: 4, data: Uint8Array.from([1, 2, 3, 4, 5, 6]), last: true, crc32c: 0x8a9136aa }) },
];

describe('peer codec round trips', () => {
  it('every message type, alone and in one batch', () => {
    for (const m of everyMessage) roundTrip({ kind: 'messages', messages: [m] });
    roundTrip({ kind: 'messages', messages: everyMessage });
    roundTrip({ kind: 'messages', messages: [] });
  });

  it('entries: none, empty data, every byte value, Conf type, large data', () => {
    roundTrip({ kind: 'messages', messages: [message(MessageType.App, { entries: [] })] });
    roundTrip({ kind: 'messages', messages: [message(MessageType.App, { entries: [entry(1, [])] })] });
    roundTrip({ kind: 'messages', messages: [message(MessageType.App, { entries: [entry(1, allBytes, EntryType.Conf)] })] });
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
    roundTrip({ kind: 'messages', messages: [message(MessageType.App, { entries: [entry(1, big), entry(2, [9])] })] });
  });

  it('numbers up to 2^53-1 in every field', () => {
    for (const value of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 + 1, 2 ** 49, MAX - 1, MAX]) {
      roundTrip({
        kind: 'messages',
        messages: [message(MessageType.AppResp, { term: value, logTerm: value, index: value, commit: value, rejectHint: value, entries: [entry(value, [1], EntryType.Normal, value)] })],
      });
      roundTrip({ kind: 'handshake', handshake: { cluster: 'c', from: 'a', to: 'b', protocolVersion: value, url: 'ws://h:1' } });
      const meta = { index: value, term: value, conf: { voters: [], learners: [], urls: {} } };
      const numbers = { term: value, snapshotIndex: value, snapshotTerm: value, totalBytes: value, data: new Uint8Array(0) };
      roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ ...numbers, meta, offset: 0, last: value === 0 }) });
      if (value > 0) roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ ...numbers, offset: value, last: true }) });
    }
  });

  it('unicode and long strings in ids, contexts and cluster names', () => {
    const ids = ['nœud-é', '节点一', '🦀🦀', 'a'.repeat(64), 'b'.repeat(65), 'x\u0000y', 'ü'.repeat(200)];
    for (const id of ids) {
      roundTrip({ kind: 'messages', messages: [message(MessageType.Heartbeat, { from: id, to: `${id}-2`, context: `ctx ${id}` })] });
      roundTrip({ kind: 'handshake', handshake: { cluster: `cluster ${id}`, from: id, to: 'n2', protocolVersion: 1, url: `ws://h:1/${id}` } });
    }
    roundTrip({ kind: 'messages', messages: [message(MessageType.Heartbeat, { from: '', to: '' })] });
  });

  it('sends a lone surrogate as U+FFFD, as any UTF-8 encoder does', () => {
    const decoded = decodeFrame(encodeFrame({ kind: 'handshake', handshake: { cluster: 'a\ud800b', from: '\udc00', to: 'n2', protocolVersion: 1, url: 'u\ud800' } }));
    assert.deepStrictEqual(decoded, { kind: 'handshake', handshake: { cluster: 'a\ufffdb', from: '\ufffd', to: 'n2', protocolVersion: 1, url: 'u\ufffd' } });
  });

  it('handshakes', () => {
    roundTrip(sampleFrames[0]);
    roundTrip({ kind: 'handshake', handshake: { cluster: '', from: '', to: '', protocolVersion: 0, url: '' } });
    roundTrip({ kind: 'handshake', handshake: { cluster: 'c', from: 'n1', to: 'n2', protocolVersion: 1, url: `wss://${'h'.repeat(3000)}:1` } });
  });

  it('snapshot chunks: first with meta, middle, last, single, empty', () => {
    roundTrip({ kind: 'snapshot-chunk', chunk: firstChunk });
    roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ offset: 4, data: new Uint8Array(3) }) });
    roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ offset: 7, data: new Uint8Array(3), last: true }) });
    const meta = { index: 1000, term: 8, conf: { voters: ['n1'], learners: [], urls: {} } };
    roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ meta, totalBytes: 4, last: true }) });
    roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ meta, totalBytes: 0, data: new Uint8Array(0), last: true }) });
  });

  it('a checksum on the last chunk, alone or next to meta, over the whole u32 range', () => {
    for (const crc32c of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) {
      roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ offset: 7, data: new Uint8Array(3).fill(1), last: true, crc32c }) });
    }
    const meta = { index: 1000, term: 8, conf: { voters: ['n1'], learners: [], urls: { n1: 'ws://a:1' } } };
    roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ meta, totalBytes: 4, last: true, crc32c: 0xdeadbeef }) });
    const bytes = encodeFrame({ kind: 'snapshot-chunk', chunk: chunk({ offset: 7, data: Uint8Array.from([9, 9, 9]), last: true, crc32c: 0x04030201 }) });
    assert.deepStrictEqual([...bytes.subarray(-8)], [1, 2, 3, 4, 3, 9, 9, 9], 'the checksum is 4 bytes, little-endian, before the data');
  });

  it('keeps member ids such as __proto__ as plain keys of urls', () => {
    const urls = { ['__proto__']: 'ws://evil:1', constructor: 'ws://c:1', '1': 'ws://one:1' };
    assert.ok(Object.hasOwn(urls, '__proto__'));
    const decoded = roundTrip({ kind: 'snapshot-chunk', chunk: chunk({ meta: { index: 1000, term: 8, conf: { voters: ['__proto__'], learners: [], urls } } }) });
    assert.equal(decoded.kind, 'snapshot-chunk');
    const decodedUrls = decoded.kind === 'snapshot-chunk' ? decoded.chunk.meta!.conf.urls : {};
    assert.equal(Object.getPrototypeOf(decodedUrls), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(decodedUrls, '__proto__')?.value, 'ws://evil:1');
    assert.equal(({} as Record<string, unknown>).evil, undefined);
  });

  it('decodes into plain Uint8Arrays that do not alias the input', () => {
    const bytes = encodeFrame({ kind: 'messages', messages: [message(MessageType.App, { entries: [entry(1, [1, 2, 3])] })] });
    const decoded = decodeFrame(bytes);
    bytes.fill(0);
    assert.equal(decoded.kind, 'messages');
    const data = decoded.kind === 'messages' ? decoded.messages[0].entries[0].data : new Uint8Array();
    assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype);
    assert.deepStrictEqual(data, Uint8Array.from([1, 2, 3]));
  });

  it('decodes a frame given as a view into a larger buffer', () => {
    const bytes = encodeFrame(sampleFrames[1]);
    const padded = new Uint8Array(bytes.length + 20);
    padded.set(bytes, 10);
    assert.deepStrictEqual(decodeFrame(padded.subarray(10, 10 + bytes.length)), sampleFrames[1]);
  });
});

describe('peer codec refuses to encode', () => {
  const encodeFails = (frame: PeerFrame, message: RegExp) =>
    assert.throws(() => encodeFrame(frame), (error: unknown) => error instanceof CodecError && message.test(error.message));

  it('numbers that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, MAX + 1, 2 ** 64]) {
      encodeFails({ kind: 'messages', messages: [message(MessageType.App, { term: bad })] }, /cannot encode term: .* is not a non-negative safe integer/);
      encodeFails({ kind: 'messages', messages: [message(MessageType.App, { entries: [entry(bad, [1])] })] }, /cannot encode entry index/);
      encodeFails({ kind: 'handshake', handshake: { cluster: 'c', from: 'a', to: 'b', protocolVersion: bad, url: 'ws://h:1' } }, /cannot encode protocolVersion/);
    }
  });

  it('checksums that are not unsigned 32-bit integers', () => {
    for (const bad of [-1, 1.5, NaN, 2 ** 32]) {
      encodeFails({ kind: 'snapshot-chunk', chunk: chunk({ offset: 7, data: new Uint8Array(3), last: true, crc32c: bad }) }, /cannot encode crc32c: .* is not an unsigned 32-bit integer/);
    }
  });

  it('snapshots inside a messages frame, unknown types', () => {
    encodeFails({ kind: 'messages', messages: [message(MessageType.Snap)] }, /message type 9/);
    const snapshot = { meta: { index: 1, term: 1, conf: { voters: ['n1'], learners: [], urls: {} } }, data: new Uint8Array(1) };
    encodeFails({ kind: 'messages', messages: [message(MessageType.App, { snapshot })] }, /travels as snapshot chunks/);
    encodeFails({ kind: 'messages', messages: [message(42 as MessageType)] }, /message type 42/);
    encodeFails({ kind: 'messages', messages: [message(MessageType.App, { entries: [entry(1, [], 7 as EntryType)] })] }, /entry type 7/);
  });

  it('inconsistent snapshot chunks', () => {
    encodeFails({ kind: 'snapshot-chunk', chunk: chunk() }, /meta must come with the first chunk/);
    encodeFails({ kind: 'snapshot-chunk', chunk: { ...firstChunk, offset: 2 } }, /meta must come with the first chunk/);
    encodeFails({ kind: 'snapshot-chunk', chunk: chunk({ offset: 8, data: new Uint8Array(3) }) }, /bytes 8\.\.11 run past totalBytes 10/);
    encodeFails({ kind: 'snapshot-chunk', chunk: chunk({ offset: 6, data: new Uint8Array(4) }) }, /last is false but the chunk ends at 10 of 10/);
    encodeFails({ kind: 'snapshot-chunk', chunk: chunk({ offset: 4, last: true }) }, /last is true but the chunk ends at 8 of 10/);
    encodeFails({ kind: 'snapshot-chunk', chunk: { ...firstChunk, snapshotTerm: 7 } }, /disagrees with snapshotIndex 1000, snapshotTerm 7/);
    encodeFails({ kind: 'snapshot-chunk', chunk: { ...firstChunk, crc32c: 1 } }, /crc32c must come with the last chunk only/);
  });

  it('frames over the size limit', () => {
    const huge = entry(1, new Uint8Array(MAX_PEER_FRAME_BYTES));
    encodeFails({ kind: 'messages', messages: [message(MessageType.App, { entries: [huge] })] }, /cannot encode a peer frame of \d+ bytes: the limit is 33554432/);
  });
});

/** Bytes of an unsigned LEB128 varint, possibly non-terminated or over-long on purpose. */
const varint = (value: number): number[] => {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
};
const str = (text: string): number[] => {
  const bytes = [...new TextEncoder().encode(text)];
  return [...varint(bytes.length), ...bytes];
};
/** A messages frame with one heartbeat whose parts can be replaced. */
const heartbeat = (parts: { type?: number[]; from?: number[]; reject?: number[]; entries?: number[] } = {}) =>
  Uint8Array.from([
    2,
    1,
    ...(parts.type ?? [MessageType.Heartbeat]),
    ...(parts.from ?? str('n1')),
    ...str('n2'),
    5,
    0,
    0,
    3,
    ...(parts.reject ?? [0]),
    0,
    ...str(''),
    ...(parts.entries ?? [0]),
  ]);

describe('peer codec refuses to decode', () => {
  it('accepts the hand-built frame the other cases distort', () => {
    assert.deepStrictEqual(decodeFrame(heartbeat()), { kind: 'messages', messages: [message(MessageType.Heartbeat, { term: 5, commit: 3 })] });
  });

  it('empty input, unknown kinds, trailing bytes, oversized input', () => {
    rejects(new Uint8Array(0), /at byte 0: frame kind: frame ends early/);
    rejects(Uint8Array.of(0), /unknown frame kind 0/);
    rejects(Uint8Array.of(4, 1, 2), /unknown frame kind 4/);
    rejects(Uint8Array.of(255), /unknown frame kind 255/);
    rejects(Uint8Array.from([...heartbeat(), 0]), /1 unexpected bytes after the end of the frame/);
    rejects(new Uint8Array(MAX_PEER_FRAME_BYTES + 1), /peer frame of 33554433 bytes exceeds the limit of 33554432/);
  });

  it('every truncation of every sample frame', () => {
    for (const frame of sampleFrames) {
      const bytes = encodeFrame(frame);
      for (let length = 0; length < bytes.length; length++) rejects(bytes.subarray(0, length), /malformed peer frame at byte \d+: .*(ends early|exceeds the \d+ bytes left|cannot fit)/);
    }
  });

  it('wrong types and flags', () => {
    rejects(heartbeat({ type: [0] }), /message type 0 is not one a messages frame carries/);
    rejects(heartbeat({ type: [MessageType.Snap] }), /message type 9 is not one/);
    rejects(heartbeat({ type: [13] }), /message type 13 is not one/);
    rejects(heartbeat({ reject: [2] }), /reject: must be 0 or 1, got 2/);
    rejects(heartbeat({ entries: [1, 1, 1, 2, 0] }), /unknown entry type 2/);
    const chunkBytes = [...encodeFrame({ kind: 'snapshot-chunk', chunk: chunk({ offset: 4, data: new Uint8Array(6), last: true }) })];
    const flagsAt = chunkBytes.length - 1 - 6 - 1;
    assert.equal(chunkBytes[flagsAt], 1);
    chunkBytes[flagsAt] = 9;
    rejects(Uint8Array.from(chunkBytes), /unknown chunk flags 9/);
    chunkBytes[flagsAt] = 0;
    rejects(Uint8Array.from(chunkBytes), /last is false but the chunk ends at 10 of 10/);
    // Bytes 4..10 of 11, flags 4: a checksum on a chunk that is not the last.
    const early = [3, ...str('n1'), ...str('n4'), 9, ...varint(1000), 8, 4, 11, 4, 7, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0];
    rejects(Uint8Array.from(early), /crc32c must come with the last chunk only/);
  });

  it('a handshake without the url that follows the member ids', () => {
    rejects(Uint8Array.from([1, 1, ...str('c'), ...str('n1'), ...str('n2')]), /url length: frame ends early/);
  });

  it('varints that are too long or too large', () => {
    rejects(heartbeat({ from: [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01] }), /from length: varint longer than 8 bytes/);
    rejects(Uint8Array.from([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), /protocolVersion: .* exceeds 2\^53-1/);
    rejects(Uint8Array.from([1, ...varint(2 ** 53)]), /protocolVersion: 9007199254740992 exceeds 2\^53-1/);
  });

  it('absurd lengths and counts, without allocating for them', () => {
    rejects(Uint8Array.from([2, ...varint(2 ** 50)]), /message count: 1125899906842624 cannot fit in the 0 bytes left/);
    rejects(Uint8Array.from([2, ...varint(MAX), 1, 2, 3]), /message count: 9007199254740991 cannot fit/);
    rejects(heartbeat({ entries: varint(2 ** 40) }), /entry count: 1099511627776 cannot fit/);
    rejects(heartbeat({ from: varint(2 ** 45) }), /from: length 35184372088832 exceeds the \d+ bytes left/);
    rejects(heartbeat({ entries: [1, 1, 1, 0, ...varint(0xffffffff)] }), /entry data: length 4294967295 exceeds the \d+ bytes left/);
    rejects(Uint8Array.from([3, ...str('n1'), ...str('n2'), 1, 1, 1, 0, 10, 2, 1, 1, ...varint(2 ** 52)]), /voter count: 4503599627370496 cannot fit/);
  });

  it('invalid UTF-8', () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x61, 0x80]]) {
      rejects(heartbeat({ from: [bad.length, ...bad] }), /from: not valid UTF-8/);
    }
    const long = [...new Uint8Array(100).fill(0x61), 0xff];
    rejects(heartbeat({ from: [...varint(long.length), ...long] }), /from: not valid UTF-8/);
  });

  it('duplicate member ids in the urls of a snapshot meta', () => {
    const meta = [...varint(1000), 8, 0, 0, 2, ...str('n1'), ...str('ws://a:1'), ...str('n1'), ...str('ws://b:1')];
    rejects(Uint8Array.from([3, ...str('n1'), ...str('n4'), 9, ...varint(1000), 8, 0, 0, 3, ...meta, 0]), /member "n1" has two urls/);
  });

  it('returns a valid frame or throws CodecError for thousands of mutations (seeded)', () => {
    const rng = new Rng(0xc0dec);
    const seeds = sampleFrames.map((frame) => encodeFrame(frame));
    let decodedCount = 0;
    for (let i = 0; i < 4000; i++) {
      let bytes = [...rng.pick(seeds)];
      for (let edits = rng.between(1, 3); edits > 0; edits--) {
        const at = rng.int(bytes.length + 1);
        switch (rng.int(6)) {
          case 0:
            bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.int(8));
            break;
          case 1:
            bytes[at] = rng.int(256);
            break;
          case 2:
            bytes = bytes.slice(0, at);
            break;
          case 3:
            bytes.splice(at, rng.between(1, 8));
            break;
          case 4:
            bytes.splice(at, 0, ...Array.from({ length: rng.between(1, 8) }, () => rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(256)])));
            break;
          default:
            bytes = Array.from({ length: rng.int(64) }, () => rng.int(256));
        }
      }
      const input = Uint8Array.from(bytes.map((byte) => byte & 0xff));
      let frame: PeerFrame;
      try {
        frame = decodeFrame(input);
      } catch (error) {
        assert.ok(error instanceof CodecError, `mutation ${i} threw ${String(error)}`);
        continue;
      }
      decodedCount++;
      assert.deepStrictEqual(decodeFrame(encodeFrame(frame)), frame, `mutation ${i} decoded into a frame that does not round-trip`);
    }
    assert.ok(decodedCount > 0, 'some mutations should still decode');
  });
});
