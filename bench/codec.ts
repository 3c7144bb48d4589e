// Peer-frame codec benchmark: the hand-written layout of src/node/transport/codec.ts against a
// JSON baseline, each decoding into validated raft Messages. (msgpackr, measured when the codec
// was chosen, lost on every case; its numbers are in codec.ts. It is no longer a dependency: its
// optional native packages are not on this registry, which breaks `npm ci`.)
// Run: node --import tsx bench/codec.ts
import { decodeFrame, encodeFrame } from '../src/node/transport/codec.ts';
import { EntryType, MessageType, type Entry, type Message } from '../src/raft/types.ts';

interface Codec {
  name: string;
  encode(messages: Message[]): Uint8Array;
  decode(bytes: Uint8Array): Message[];
}

const handWritten: Codec = {
  name: 'hand-written',
  encode: (messages) => encodeFrame({ kind: 'messages', messages }),
  decode(bytes) {
    const frame = decodeFrame(bytes);
    if (frame.kind !== 'messages') throw new Error('not a messages frame');
    return frame.messages;
  },
};

/** JSON with entry data as base64: what a peer protocol without a binary layout would send. */
const json: Codec = {
  name: 'JSON + base64',
  encode: (messages) =>
    Buffer.from(JSON.stringify(messages.map((m) => ({ ...m, entries: m.entries.map((e) => ({ ...e, data: Buffer.from(e.data).toString('base64') })) })))),
  decode(bytes) {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (!Array.isArray(parsed)) throw new Error('not a messages frame');
    return parsed.map((m: { entries: { data: string }[] }) =>
      checkMessage({ ...m, entries: m.entries.map((e) => ({ ...e, data: new Uint8Array(Buffer.from(e.data, 'base64')) })) }),
    );
  },
};

// The checks the hand-written decoder makes as it reads, done after JSON has been parsed: the
// price of validating outside input is part of the comparison.
function checkMessage(value: unknown): Message {
  const m = value as Message;
  if (typeof m !== 'object' || m === null) throw new Error('message is not an object');
  if (!Number.isInteger(m.type) || m.type < 1 || m.type > 12 || m.type === MessageType.Snap) throw new Error('bad type');
  if (typeof m.from !== 'string' || typeof m.to !== 'string' || typeof m.context !== 'string') throw new Error('bad string');
  for (const n of [m.term, m.logTerm, m.index, m.commit, m.rejectHint]) if (!Number.isSafeInteger(n) || n < 0) throw new Error('bad number');
  if (typeof m.reject !== 'boolean' || !Array.isArray(m.entries)) throw new Error('bad field');
  for (const e of m.entries as Entry[]) {
    if (typeof e !== 'object' || e === null || !Number.isSafeInteger(e.term) || !Number.isSafeInteger(e.index)) throw new Error('bad entry');
    if ((e.type !== EntryType.Normal && e.type !== EntryType.Conf) || !(e.data instanceof Uint8Array)) throw new Error('bad entry');
  }
  return { type: m.type, from: m.from, to: m.to, term: m.term, logTerm: m.logTerm, index: m.index, commit: m.commit, entries: m.entries, reject: m.reject, rejectHint: m.rejectHint, context: m.context };
}

function message(type: MessageType, entries: Entry[] = []): Message {
  return { type, from: 'n1', to: 'n2', term: 7, logTerm: 7, index: 1_234_567, commit: 1_234_560, entries, reject: false, rejectHint: 0, context: '' };
}

function entries(count: number, bytes: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({ term: 7, index: 1_234_568 + i, type: EntryType.Normal, data: new Uint8Array(bytes).fill(i) }));
}

const scenarios: { name: string; messages: Message[] }[] = [
  { name: 'heartbeat', messages: [message(MessageType.Heartbeat)] },
  { name: 'App, 64 entries x 64 B', messages: [message(MessageType.App, entries(64, 64))] },
  { name: 'App, 1 entry x 1 MiB', messages: [message(MessageType.App, entries(1, 1024 * 1024))] },
];

/** Operations per second of `run` over about `seconds`. */
function rate(run: () => void, seconds: number): number {
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 8; i++) run();
    count += 8;
  }
  return count / ((performance.now() - start) / 1000);
}

// The machine is shared and noisy: every codec is measured in turn, several times, and keeps its
// best rate.
const ROUNDS = 5;
const SECONDS_PER_RUN = 0.2;

function bestRates(codecs: Codec[], task: (codec: Codec) => () => void): number[] {
  const best = codecs.map(() => 0);
  for (const codec of codecs) rate(task(codec), SECONDS_PER_RUN);
  for (let round = 0; round < ROUNDS; round++) {
    codecs.forEach((codec, i) => (best[i] = Math.max(best[i], rate(task(codec), SECONDS_PER_RUN))));
  }
  return best;
}

const codecs = [handWritten, json];
const format = (n: number) => (n >= 1e5 ? `${(n / 1e6).toFixed(2)} M` : n >= 100 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));

console.log(`node ${process.version}, ${process.arch}; best of ${ROUNDS} runs of ${SECONDS_PER_RUN} s`);
console.log('scenario                 codec              bytes   encode/s   decode/s   round trips/s   MB/s (round trip)');
for (const scenario of scenarios) {
  const frames = codecs.map((codec) => codec.encode(scenario.messages));
  codecs.forEach((codec, i) => {
    const decoded = codec.decode(frames[i]);
    if (JSON.stringify(decoded[0].entries.map((e) => e.data.length)) !== JSON.stringify(scenario.messages[0].entries.map((e) => e.data.length))) {
      throw new Error(`${codec.name} does not round-trip ${scenario.name}`);
    }
  });
  let sink = 0;
  const encode = bestRates(codecs, (codec) => () => (sink += codec.encode(scenario.messages).length));
  const decode = bestRates(codecs, (codec) => {
    const bytes = frames[codecs.indexOf(codec)];
    return () => (sink += codec.decode(bytes).length);
  });
  const roundTrip = bestRates(codecs, (codec) => () => (sink += codec.decode(codec.encode(scenario.messages)).length));
  if (sink === 0) throw new Error('nothing measured');
  codecs.forEach((codec, i) => {
    const bytes = frames[i].length;
    console.log(
      `${scenario.name.padEnd(24)} ${codec.name.padEnd(18)} ${String(bytes).padStart(7)} ${format(encode[i]).padStart(10)} ${format(decode[i]).padStart(10)} ${format(roundTrip[i]).padStart(15)} ${((roundTrip[i] * bytes) / 1e6).toFixed(0).padStart(19)}`,
    );
  });
}
