// Throughput of the pure consensus core: a 3-node cluster of cores in memory, no I/O, messages
// delivered at once. Reports entries committed (and applied on every node) per second.
// Run: npm run bench:core [-- --seconds 5 --batch 256 --size 64]
import { parseArgs } from 'node:util';
import { Raft } from '../src/raft/raft.ts';
import { bootstrapEntry } from '../src/raft/confchange.ts';
import type { Message } from '../src/raft/types.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, batch: { type: 'string', default: '256' }, size: { type: 'string', default: '64' } },
});
const seconds = Number(values.seconds);
const batch = Number(values.batch);
const size = Number(values.size);

const ids = ['n1', 'n2', 'n3'];
const conf = { voters: ids, learners: [], urls: {} };
let seed = 1;
const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
const nodes = new Map(
  ids.map((id) => [
    id,
    new Raft(
      { id, electionTicksMin: 10, electionTicksMax: 20, heartbeatTicks: 2, random },
      { hardState: { term: 1, vote: '', commit: 1 }, entries: [bootstrapEntry(conf)] },
    ),
  ]),
);
const applied = new Map(ids.map((id) => [id, 0]));

/** Runs every node's Ready loop and delivers messages until the cluster is quiet. */
function pump(): void {
  let queue: Message[] = [];
  for (let rounds = 0; rounds < 10_000; rounds++) {
    for (const [id, node] of nodes) {
      if (!node.hasReady()) continue;
      const rd = node.ready();
      for (const m of rd.messages) queue.push(m);
      applied.set(id, applied.get(id)! + rd.committedEntries.length);
      node.advance();
    }
    if (queue.length === 0) return;
    const deliver = queue;
    queue = [];
    for (const m of deliver) nodes.get(m.to)!.step(m);
  }
  throw new Error('cluster did not quiesce');
}

const leader = nodes.get('n1')!;
leader.campaign();
pump();
if (leader.status().role !== 'leader') throw new Error('n1 did not become leader');

const payload = new Uint8Array(size).fill(7);
const start = performance.now();
let proposed = 0;
while (performance.now() - start < seconds * 1000) {
  for (let i = 0; i < batch; i++) leader.propose(payload);
  proposed += batch;
  pump();
}
const elapsed = (performance.now() - start) / 1000;
const committed = Math.min(...[...nodes.values()].map((n) => n.status().commit)) - 2;
if (committed !== proposed) throw new Error(`committed ${committed} of ${proposed}`);
const rate = Math.round(committed / elapsed);
console.log(`raft-core: nodes=3 batch=${batch} size=${size}B seconds=${elapsed.toFixed(1)} committed=${committed} entries/s=${rate}`);
