// Answers resolved in one tick leave the socket in one write: writeBatcher corks until the tick ends.
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { it } from 'node:test';
import { writeBatcher } from '../../src/node/session-io.ts';

/** A socket stand-in that records each write call the stream makes: one entry per syscall-sized batch. */
function recordingSocket(): { socket: Duplex; batches: string[][] } {
  const batches: string[][] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      batches.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      batches.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
      done();
    },
  });
  return { socket, batches };
}

it('writes made in one tick leave together, and each later tick starts a new batch', async () => {
  const { socket, batches } = recordingSocket();
  const holdWrites = writeBatcher(socket);
  for (const answer of ['a', 'b', 'c']) {
    holdWrites();
    socket.write(answer);
  }
  assert.deepEqual(batches, [], 'nothing is written before the tick ends');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches, [['a', 'b', 'c']]);

  holdWrites();
  socket.write('d');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches, [['a', 'b', 'c'], ['d']]);
});

it('answers resolved by promises in the same turn share a batch', async () => {
  const { socket, batches } = recordingSocket();
  const holdWrites = writeBatcher(socket);
  const send = (text: string): void => {
    holdWrites();
    socket.write(text);
  };
  await Promise.all(['x', 'y', 'z'].map((text) => Promise.resolve().then(() => send(text))));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches, [['x', 'y', 'z']]);
});
