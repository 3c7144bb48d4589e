// The history format: recording, JSONL round trip, validation errors that name the line, and the
// file check `raftctl check` runs.
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkHistoryFile } from '../../src/main/check/check-history.ts';
import { formatHistoryJsonl, pairOperations, parseHistoryJsonl, readHistoryFile } from '../../src/main/check/history.ts';
import { HistoryRecorder } from '../../src/main/check/recorder.ts';
import type { ClientRequest, ClientSuccess } from '../../src/shared/protocol/client.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'history-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock that advances 1 ms per reading. */
const steppingClock = (): (() => number) => {
  let now = 0;
  return () => now++;
};

describe('HistoryRecorder', () => {
  it('writes what it records as JSONL that parses back to the same events', async () => {
    const path = join(dir, 'round-trip.jsonl');
    const recorder = new HistoryRecorder({ stream: createWriteStream(path), now: steppingClock() });
    recorder.invoke(1, { op: 'put', key: 'k', value: 'a' });
    recorder.invoke(2, { op: 'get', key: 'k' });
    recorder.ok(1, { index: 7 });
    recorder.ok(2, { value: 'a', index: 8 });
    recorder.invoke(1, { op: 'cas', key: 'k', expect: null, value: 'b' });
    recorder.ok(1, { swapped: false, value: 'a' });
    recorder.invoke(2, { op: 'delete', key: 'k' });
    recorder.info(2, 'TIMEOUT');
    recorder.invoke(3, { op: 'put', key: 'k', value: 'c' });
    recorder.fail(3, 'NOT_LEADER');
    await recorder.close();

    const events = await readHistoryFile(path);
    assert.deepEqual(events, recorder.events);
    assert.equal(events.length, 10);
    assert.deepEqual(events[3], { type: 'ok', process: 2, op: 'get', key: 'k', time: 3, value: 'a', index: 8 });
    assert.deepEqual(
      pairOperations(events).map((o) => [o.op, o.status, o.invokeTime, o.completeTime]),
      [
        ['put', 'ok', 0, 2],
        ['get', 'ok', 1, 3],
        ['cas', 'ok', 4, 5],
        ['delete', 'info', 6, 7],
        ['put', 'fail', 8, 9],
      ],
    );
  });

  it('keeps only the fields of an answer that belong to the operation', () => {
    const recorder = new HistoryRecorder({ now: steppingClock() });
    recorder.invoke(1, { op: 'put', key: 'k', value: 'a' });
    recorder.ok(1, { value: 'previous', index: 3 });
    assert.deepEqual(recorder.events[1], { type: 'ok', process: 1, op: 'put', key: 'k', time: 1, index: 3 });
  });

  it('records a client request and answer as they are, keeping only what the history needs', () => {
    const recorder = new HistoryRecorder({ now: steppingClock() });
    const request: ClientRequest = { id: 17, op: 'get', key: 'k', consistency: 'linearizable' };
    const answer: ClientSuccess = { id: 17, ok: true, value: 'a', index: 4 };
    recorder.invoke(1, request);
    recorder.ok(1, answer);
    assert.deepEqual(recorder.events[0], { type: 'invoke', process: 1, op: 'get', key: 'k', time: 0 });
    assert.throws(
      () => recorder.invoke(2, { op: 'get', key: 'k', consistency: 'serializable' }),
      /serializable get may be stale/,
    );
  });

  it('refuses completions without an operation in flight, and a second invocation', () => {
    const recorder = new HistoryRecorder();
    assert.throws(() => recorder.ok(1), /process 1 has no operation in flight/);
    recorder.invoke(1, { op: 'get', key: 'k' });
    assert.throws(() => recorder.invoke(1, { op: 'get', key: 'k' }), /still in flight/);
  });

  it('refuses an answer missing what the operation needs, leaving it in flight', () => {
    const recorder = new HistoryRecorder();
    recorder.invoke(1, { op: 'get', key: 'k' });
    assert.throws(() => recorder.ok(1, {}), /value/);
    recorder.ok(1, { value: null });
    assert.equal(recorder.events.length, 2);
  });
});

describe('parseHistoryJsonl', () => {
  const invoke = '{"type":"invoke","process":1,"op":"put","key":"k","value":"a","time":1}';
  const ok = '{"type":"ok","process":1,"op":"put","key":"k","time":2}';

  it('skips blank lines', () => {
    assert.equal(parseHistoryJsonl(`\n${invoke}\n\n${ok}\n`).length, 2);
  });

  it('names the line that is not JSON', () => {
    assert.throws(() => parseHistoryJsonl(`${invoke}\n{"type":`), /^Error: line 2: not valid JSON/);
  });

  it('names the line and the field of an invalid event, counting blank lines', () => {
    const missingValue = '{"type":"invoke","process":2,"op":"put","key":"k","time":3}';
    assert.throws(() => parseHistoryJsonl(`${invoke}\n\n${ok}\n${missingValue}\n`), /^Error: line 4: invalid event: value:/);
    const unknownType = '{"type":"done","process":2,"op":"put","key":"k","time":3}';
    assert.throws(() => parseHistoryJsonl(unknownType), /^Error: line 1: invalid event: type:/);
    const extraField = '{"type":"invoke","process":2,"op":"get","key":"k","time":3,"value":"x"}';
    assert.throws(() => parseHistoryJsonl(extraField), /^Error: line 1: invalid event: .*Unrecognized key/);
  });

  it('names the lines of events that do not pair up', () => {
    assert.throws(() => parseHistoryJsonl(ok), /^Error: line 1: ok for process 1, which has no operation in flight/);
    assert.throws(() => parseHistoryJsonl(`${invoke}\n${invoke}`), /^Error: line 2: process 1 invokes put while .* from line 1/);
    const wrongKey = '{"type":"ok","process":1,"op":"put","key":"other","time":2}';
    assert.throws(() => parseHistoryJsonl(`${invoke}\n${wrongKey}`), /^Error: line 2: ok put "other" does not match/);
    const early = '{"type":"ok","process":1,"op":"put","key":"k","time":0.5}';
    assert.throws(() => parseHistoryJsonl(`${invoke}\n${early}`), /^Error: line 2: completes at 0.5 ms, before its invocation/);
  });
});

describe('checkHistoryFile', () => {
  it('checks a history file', async () => {
    const path = join(dir, 'stale.jsonl');
    const recorder = new HistoryRecorder({ now: steppingClock() });
    recorder.invoke(1, { op: 'put', key: 'k', value: 'a' });
    recorder.ok(1);
    recorder.invoke(1, { op: 'put', key: 'k', value: 'b' });
    recorder.ok(1);
    recorder.invoke(2, { op: 'get', key: 'k' });
    recorder.ok(2, { value: 'a' });
    await writeFile(path, formatHistoryJsonl(recorder.events));
    const result = await checkHistoryFile(path);
    assert.equal(result.verdict, 'not-linearizable');
    assert.equal(result.lostWrites, 1);
    assert.deepEqual(result.ops, { ok: 3, failed: 0, unknown: 0 });
  });

  it('names the file and the line of a bad event', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, '{"type":"invoke","process":1,"op":"get","key":"k","time":1}\nnot json\n');
    await assert.rejects(checkHistoryFile(path), (err: Error) => err.message.startsWith(`${path}: line 2: not valid JSON`));
  });
});
