// Peer transport throughput over loopback: two Transports in this process (so the numbers include
// encoding, the sockets and decoding on the other side). A window of frames in flight keeps the
// sender below the backpressure bound, so nothing is dropped.
// Run: node --import tsx bench/transport.ts [--seconds N]
import { parseArgs } from 'node:util';
import { MessageType, type Message } from '../src/raft/types.ts';
import { entry, Member, mesh, message, waitFor } from '../test/node/support/transport-harness.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got ${values.seconds}`);

/** Frames in flight: at most 64, and at most 8 MiB of entries (half the backpressure bound). */
const windowFor = (payloadBytes: number) => Math.max(1, Math.min(64, Math.floor((8 * MiB) / Math.max(1, payloadBytes))));
const MiB = 1024 * 1024;

let framesIn = 0;
let messagesIn = 0;
let snapshotBytesIn = 0;
const a = await Member.start('n1');
const b = await Member.start('n2', {
  transport: {
    onMessages: (messages) => {
      framesIn++;
      messagesIn += messages.length;
      for (const m of messages) snapshotBytesIn += m.snapshot?.data.length ?? 0;
    },
  },
});

async function stream(label: string, batch: Message[], payloadBytes: number): Promise<void> {
  const startFrames = framesIn;
  const startMessages = messagesIn;
  const startDropped = a.transport.peerStats().n2.framesDropped;
  const window = windowFor(payloadBytes);
  let sent = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    while (sent - (framesIn - startFrames) < window) {
      a.transport.send(batch);
      sent++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const dropped = () => a.transport.peerStats().n2.framesDropped - startDropped;
  await waitFor(() => framesIn - startFrames === sent - dropped(), `${label}: every frame`, 30_000);
  const elapsed = (performance.now() - started) / 1000;
  const frames = framesIn - startFrames;
  const messages = messagesIn - startMessages;
  console.log(
    `${label.padEnd(34)} ${(frames / elapsed).toFixed(0).padStart(8)} frames/s ${(messages / elapsed).toFixed(0).padStart(9)} msgs/s ` +
      `${((frames * payloadBytes) / elapsed / MiB).toFixed(1).padStart(8)} MiB/s entry data  (dropped ${dropped()})`,
  );
}

try {
  await mesh([a, b]);
  const heartbeat = message('n1', 'n2', { term: 3, commit: 100 });
  await stream('1 heartbeat per send', [heartbeat], 0);
  await stream('3 heartbeats per send', [heartbeat, heartbeat, heartbeat], 0);
  const small = new Uint8Array(64).fill(7);
  const entries = Array.from({ length: 64 }, (_, i) => entry(i + 1, small));
  await stream('App, 64 entries x 64 B', [message('n1', 'n2', { type: MessageType.App, term: 3, entries })], 64 * 64);
  const big = new Uint8Array(MiB).fill(9);
  await stream('App, 1 entry x 1 MiB', [message('n1', 'n2', { type: MessageType.App, term: 3, entries: [entry(1, big)] })], MiB);

  const snapshotBytes = 64 * MiB;
  const started = performance.now();
  a.transport.send([
    message('n1', 'n2', {
      type: MessageType.Snap,
      term: 3,
      snapshot: { meta: { index: 1000, term: 3, conf: { voters: ['n1', 'n2'], learners: [], urls: {} } }, data: new Uint8Array(snapshotBytes).fill(5) },
    }),
  ]);
  await waitFor(() => snapshotBytesIn === snapshotBytes, 'the snapshot', 60_000);
  const elapsed = (performance.now() - started) / 1000;
  console.log(`${'snapshot, 64 MiB'.padEnd(34)} ${(elapsed * 1000).toFixed(0)} ms, ${(snapshotBytes / MiB / elapsed).toFixed(0)} MiB/s`);
} finally {
  await a.stop();
  await b.stop();
}
