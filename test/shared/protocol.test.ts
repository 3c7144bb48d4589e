import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ADMIN_OPS,
  CLIENT_OPS,
  failure,
  isDefinitelyNotApplied,
  isMemberUrl,
  MAX_FRAME_BYTES,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  parseAdminRequest,
  parseAdminServerFrame,
  parseClientRequest,
  parseClientResponse,
  utf8ByteLength,
  type AdminEvent,
  type NodeStatus,
  type RequestParseResult,
} from '../../src/shared/protocol/index.ts';
import { Rng } from '../sim/rng.ts';

const frame = (value: unknown) => JSON.stringify(value);

function accepted<T>(result: RequestParseResult<T>): T {
  assert.equal(result.ok, true, result.ok ? '' : result.message);
  return (result as { request: T }).request;
}

function refused<T>(result: RequestParseResult<T>, code: 'BAD_REQUEST' | 'TOO_LARGE', message: string | RegExp, id?: number) {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) return;
  assert.equal(result.code, code);
  assert.equal(result.id, id);
  if (typeof message === 'string') assert.equal(result.message, message);
  else assert.match(result.message, message);
}

describe('client requests', () => {
  it('accepts every op as SPEC writes it', () => {
    assert.deepEqual(accepted(parseClientRequest('{"id":1,"op":"get","key":"k"}')), { id: 1, op: 'get', key: 'k' });
    assert.deepEqual(accepted(parseClientRequest('{"id":1,"op":"get","key":"k","consistency":"serializable"}')), {
      id: 1,
      op: 'get',
      key: 'k',
      consistency: 'serializable',
    });
    assert.deepEqual(accepted(parseClientRequest('{"id":2,"op":"put","key":"k","value":"v"}')), { id: 2, op: 'put', key: 'k', value: 'v' });
    assert.deepEqual(accepted(parseClientRequest('{"id":3,"op":"delete","key":"k"}')), { id: 3, op: 'delete', key: 'k' });
    assert.deepEqual(accepted(parseClientRequest('{"id":4,"op":"cas","key":"k","expect":"old","value":"new"}')), {
      id: 4,
      op: 'cas',
      key: 'k',
      expect: 'old',
      value: 'new',
    });
    assert.deepEqual(accepted(parseClientRequest('{"id":5,"op":"cas","key":"k","expect":null,"value":"new"}')), {
      id: 5,
      op: 'cas',
      key: 'k',
      expect: null,
      value: 'new',
    });
    assert.deepEqual(CLIENT_OPS, ['get', 'put', 'delete', 'cas']);
  });

  it('accepts empty values, unicode, negative and extreme safe ids, and drops unknown fields', () => {
    assert.deepEqual(accepted(parseClientRequest(frame({ id: -7, op: 'put', key: 'ключ', value: '' }))), {
      id: -7,
      op: 'put',
      key: 'ключ',
      value: '',
    });
    assert.equal(accepted(parseClientRequest(frame({ id: Number.MAX_SAFE_INTEGER, op: 'get', key: 'k' }))).id, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(accepted(parseClientRequest('{"id":1,"op":"delete","key":"k","extra":{"deep":[1]}}')), { id: 1, op: 'delete', key: 'k' });
  });

  it('names the wrong field of every op', () => {
    const cases: [string, string][] = [
      ['{"id":1,"op":"get"}', 'key: is required'],
      ['{"id":1,"op":"get","key":""}', 'key: must not be empty, got ""'],
      ['{"id":1,"op":"get","key":5}', 'key: must be a string, got 5'],
      ['{"id":1,"op":"get","key":"k","consistency":"strong"}', 'consistency: must be "linearizable" or "serializable", got "strong"'],
      ['{"id":1,"op":"put","key":"k"}', 'value: is required'],
      ['{"id":1,"op":"put","key":"k","value":null}', 'value: must be a string, got null'],
      ['{"id":1,"op":"put","key":["k"],"value":"v"}', 'key: must be a string, got an array'],
      ['{"id":1,"op":"delete","key":{}}', 'key: must be a string, got an object'],
      ['{"id":1,"op":"cas","key":"k","value":"v"}', 'expect: is required'],
      ['{"id":1,"op":"cas","key":"k","expect":false,"value":"v"}', 'expect: must be a string, got false'],
      ['{"id":1,"op":"cas","key":"k","expect":"a"}', 'value: is required'],
      ['{"id":1}', 'op: is required'],
      ['{"id":1,"op":"scan"}', 'op: must be one of get, put, delete, cas, got "scan"'],
      ['{"id":1,"op":7}', 'op: must be one of get, put, delete, cas, got 7'],
    ];
    for (const [text, message] of cases) refused(parseClientRequest(text), 'BAD_REQUEST', message, 1);
  });

  it('enforces the key, value and frame limits in UTF-8 bytes', () => {
    accepted(parseClientRequest(frame({ id: 1, op: 'get', key: 'k'.repeat(MAX_KEY_BYTES) })));
    accepted(parseClientRequest(frame({ id: 1, op: 'get', key: 'é'.repeat(MAX_KEY_BYTES / 2) })));
    refused(parseClientRequest(frame({ id: 1, op: 'get', key: 'k'.repeat(MAX_KEY_BYTES + 1) })), 'TOO_LARGE', 'key: must be at most 1024 bytes of UTF-8', 1);
    refused(parseClientRequest(frame({ id: 1, op: 'get', key: 'é'.repeat(MAX_KEY_BYTES / 2) + 'k' })), 'TOO_LARGE', /^key:/, 1);

    accepted(parseClientRequest(frame({ id: 2, op: 'put', key: 'k', value: 'v'.repeat(MAX_VALUE_BYTES) })));
    accepted(parseClientRequest(frame({ id: 2, op: 'put', key: 'k', value: '😀'.repeat(MAX_VALUE_BYTES / 4) })));
    refused(parseClientRequest(frame({ id: 2, op: 'put', key: 'k', value: '😀'.repeat(MAX_VALUE_BYTES / 4) + 'v' })), 'TOO_LARGE', /^value:/, 2);
    refused(parseClientRequest(frame({ id: 3, op: 'cas', key: 'k', expect: 'x'.repeat(MAX_VALUE_BYTES + 1), value: 'v' })), 'TOO_LARGE', /^expect:/, 3);

    const huge = `{"id":4,"op":"put","key":"k","value":"${'v'.repeat(MAX_FRAME_BYTES)}"}`;
    refused(parseClientRequest(huge), 'TOO_LARGE', /^frame: must be at most 2097152 bytes/, 4);
    const hugeInUtf8 = `{"id":5,"op":"put","key":"k","value":"${'é'.repeat(MAX_FRAME_BYTES / 2)}"}`;
    assert.ok(hugeInUtf8.length < MAX_FRAME_BYTES);
    refused(parseClientRequest(hugeInUtf8), 'TOO_LARGE', /^frame:/, 5);
  });

  it('reports a malformed field before a too-large one', () => {
    refused(parseClientRequest(frame({ id: 1, op: 'put', key: 'k'.repeat(MAX_KEY_BYTES + 1), value: 5 })), 'BAD_REQUEST', 'value: must be a string, got 5', 1);
  });

  it('reads the id of a broken frame when it can, and only a valid one', () => {
    refused(parseClientRequest('{"id":7,"op":"pu'), 'BAD_REQUEST', /^frame: not valid JSON/, 7);
    refused(parseClientRequest(' { "id" : -8 , "op": }'), 'BAD_REQUEST', /^frame: not valid JSON/, -8);
    refused(parseClientRequest('{"id":9'), 'BAD_REQUEST', /^frame: not valid JSON/);
    refused(parseClientRequest('{"op":"get","id":7,'), 'BAD_REQUEST', /^frame: not valid JSON/);
    refused(parseClientRequest('{"id":99999999999999999999,'), 'BAD_REQUEST', /^frame: not valid JSON/);
    refused(parseClientRequest('{"op":"get","key":"k","id":12}x'), 'BAD_REQUEST', /^frame: not valid JSON/);

    refused(parseClientRequest('{"op":"get","key":"k"}'), 'BAD_REQUEST', 'id: is required');
    refused(parseClientRequest('{"id":"1","op":"get","key":"k"}'), 'BAD_REQUEST', /^id: must be an integer .*, got "1"$/);
    refused(parseClientRequest('{"id":1.5,"op":"get","key":"k"}'), 'BAD_REQUEST', /^id: .*, got 1.5$/);
    refused(parseClientRequest('{"id":null,"op":"get","key":"k"}'), 'BAD_REQUEST', /^id: .*, got null$/);
  });

  it('refuses huge numbers', () => {
    refused(parseClientRequest('{"id":1e400,"op":"get","key":"k"}'), 'BAD_REQUEST', /^id: .*, got Infinity$/);
    refused(parseClientRequest(`{"id":${2 ** 53},"op":"get","key":"k"}`), 'BAD_REQUEST', /^id: must be an integer between/);
    refused(parseClientRequest('{"id":-1e300,"op":"get","key":"k"}'), 'BAD_REQUEST', /^id:/);
    refused(parseAdminRequest('{"id":1,"op":"pause","ms":1e400}'), 'BAD_REQUEST', /^ms: .*, got Infinity$/, 1);
    refused(parseAdminRequest('{"id":1,"op":"fault","set":{"delayMs":1e308}}'), 'BAD_REQUEST', /^set\.delayMs: must be from 0 to 60000/, 1);
  });

  it('refuses text that is not one JSON object', () => {
    const cases: [string, RegExp][] = [
      ['', /^frame: not valid JSON/],
      ['not json', /^frame: not valid JSON/],
      ['[{"id":1,"op":"get","key":"k"}]', /^frame: must be a JSON object, got an array$/],
      ['[]', /got an array$/],
      ['null', /got null$/],
      ['42', /got 42$/],
      ['"get"', /got "get"$/],
      ['true', /got true$/],
    ];
    for (const [text, message] of cases) refused(parseClientRequest(text), 'BAD_REQUEST', message);
  });

  it('is not fooled by __proto__, constructor or deep nesting', () => {
    const polluting = [
      '{"__proto__":{"id":1,"op":"get","key":"k"}}',
      '{"id":1,"op":"get","key":"k","__proto__":{"consistency":"serializable","polluted":true}}',
      '{"id":1,"op":"__proto__","key":"k"}',
      '{"id":1,"op":"constructor","key":"k"}',
      '{"id":1,"op":"hasOwnProperty","key":"k"}',
      '{"id":1,"op":"fault","set":{"__proto__":{"lossRate":5,"polluted":true}}}',
      '{"id":1,"op":"fault","set":{"constructor":{"prototype":{"polluted":true}}}}',
    ];
    const client = polluting.map(parseClientRequest);
    const admin = polluting.map(parseAdminRequest);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);

    refused(client[0], 'BAD_REQUEST', 'id: is required');
    assert.deepEqual(accepted(client[1]), { id: 1, op: 'get', key: 'k' });
    refused(client[2], 'BAD_REQUEST', /^op: must be one of get, put, delete, cas, got "__proto__"$/, 1);
    refused(client[3], 'BAD_REQUEST', /^op: must be one of/, 1);
    refused(client[4], 'BAD_REQUEST', /^op: must be one of/, 1);
    // A fault names only known fields: anything else is refused rather than ignored.
    refused(admin[5], 'BAD_REQUEST', /^set: .*__proto__/, 1);
    refused(admin[6], 'BAD_REQUEST', /^set: .*constructor/, 1);

    assert.deepEqual(accepted(parseClientRequest('{"id":1,"op":"put","key":"__proto__","value":"constructor"}')), {
      id: 1,
      op: 'put',
      key: '__proto__',
      value: 'constructor',
    });

    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    accepted(parseClientRequest(`{"id":1,"op":"get","key":"k","extra":${deep}}`));
    refused(parseAdminRequest(`{"id":1,"op":"fault","set":{"dropTo":${deep}}}`), 'BAD_REQUEST', /^set\.dropTo\[0\]: must be a string, got an array$/, 1);
  });

  it('never throws on mutated frames', () => {
    const rng = new Rng(20240601);
    const seeds = [
      '{"id":1,"op":"get","key":"k","consistency":"linearizable"}',
      '{"id":4,"op":"cas","key":"k","expect":null,"value":"new"}',
      '{"id":9,"op":"fault","set":{"dropTo":["n2"],"delayMs":5,"lossRate":0.5}}',
    ];
    const alphabet = '{}[]",:0123456789.-eE nulltruefalse\\u00_proto_id';
    for (let i = 0; i < 3000; i++) {
      const chars = [...rng.pick(seeds)];
      for (let edits = rng.between(1, 4); edits > 0; edits--) {
        const at = rng.int(chars.length + 1);
        const mutation = rng.int(3);
        if (mutation === 0) chars.splice(at, 1);
        else if (mutation === 1) chars.splice(at, 0, rng.pick([...alphabet]));
        else chars[at] = String.fromCharCode(rng.int(0x10000));
      }
      const text = chars.join('');
      for (const result of [parseClientRequest(text), parseAdminRequest(text)]) {
        assert.equal(typeof result.ok, 'boolean', text);
        if (!result.ok) {
          assert.ok(result.code === 'BAD_REQUEST' || result.code === 'TOO_LARGE', text);
          assert.ok(result.message.length > 0, text);
          assert.ok(result.id === undefined || Number.isSafeInteger(result.id), text);
        }
      }
    }
  });
});

describe('admin requests', () => {
  it('accepts every op', () => {
    const cases: [object, object?][] = [
      [{ id: 1, op: 'status' }],
      [{ id: 2, op: 'subscribe' }],
      [{ id: 3, op: 'add-member', memberId: 'n4', url: 'ws://127.0.0.1:7004' }],
      [{ id: 3, op: 'add-member', memberId: 'n4', url: 'wss://raft-4.example.com:443/base', learner: true }],
      [{ id: 4, op: 'promote-member', memberId: 'n4' }],
      [{ id: 5, op: 'remove-member', memberId: 'n4' }],
      [{ id: 6, op: 'transfer-leadership', to: 'n2' }],
      [{ id: 7, op: 'snapshot' }],
      [{ id: 8, op: 'fault', set: { dropTo: ['n2', 'n3'], dropFrom: [], delayMs: 20, jitterMs: 5.5, lossRate: 0.1, duplicateRate: 1 } }],
      [{ id: 8, op: 'fault', set: { lossRate: 0 } }],
      [{ id: 9, op: 'fault', clear: true }],
      [{ id: 10, op: 'pause', ms: 1500 }],
      [{ id: 11, op: 'crash' }],
    ];
    for (const [request] of cases) assert.deepEqual(accepted(parseAdminRequest(frame(request))), request);
    assert.deepEqual(ADMIN_OPS, [
      'status',
      'subscribe',
      'add-member',
      'promote-member',
      'remove-member',
      'transfer-leadership',
      'snapshot',
      'fault',
      'pause',
      'crash',
    ]);
  });

  it('names the wrong field of every op', () => {
    const cases: [object, string | RegExp][] = [
      [{ id: 1, op: 'status!' }, /^op: must be one of status, subscribe, .*, got "status!"$/],
      [{ id: 1, op: 'add-member', url: 'ws://h:1' }, 'memberId: is required'],
      [{ id: 1, op: 'add-member', memberId: 'N4', url: 'ws://h:1' }, /^memberId: must be a member id: .*, got "N4"$/],
      [{ id: 1, op: 'add-member', memberId: 'n4' }, 'url: is required'],
      [{ id: 1, op: 'add-member', memberId: 'n4', url: 'http://h:1' }, /^url: must be a ws:\/\/ or wss:\/\/ URL/],
      [{ id: 1, op: 'add-member', memberId: 'n4', url: 'ws://h:1', learner: 'yes' }, 'learner: must be a boolean, got "yes"'],
      [{ id: 1, op: 'promote-member', memberId: '-n4' }, /^memberId: must be a member id/],
      [{ id: 1, op: 'remove-member' }, 'memberId: is required'],
      [{ id: 1, op: 'transfer-leadership', to: 'x'.repeat(33) }, /^to: must be a member id/],
      [{ id: 1, op: 'transfer-leadership' }, 'to: is required'],
      [{ id: 1, op: 'fault' }, 'give either "set": {...} or "clear": true, not both'],
      [{ id: 1, op: 'fault', set: {}, clear: true }, 'give either "set": {...} or "clear": true, not both'],
      [{ id: 1, op: 'fault', clear: false }, 'clear: must be true, got false'],
      [{ id: 1, op: 'fault', set: [] }, 'set: must be an object, got an array'],
      [{ id: 1, op: 'fault', set: { lossRate: 1.01 } }, 'set.lossRate: must be from 0 to 1, got 1.01'],
      [{ id: 1, op: 'fault', set: { duplicateRate: -0.1 } }, 'set.duplicateRate: must be from 0 to 1, got -0.1'],
      [{ id: 1, op: 'fault', set: { delayMs: 60_001 } }, 'set.delayMs: must be from 0 to 60000, got 60001'],
      [{ id: 1, op: 'fault', set: { jitterMs: '5' } }, /^set\.jitterMs: must be a number of milliseconds .*, got "5"$/],
      [{ id: 1, op: 'fault', set: { dropFrom: ['n2', 'bad id'] } }, /^set\.dropFrom\[1\]: must be a member id/],
      [{ id: 1, op: 'fault', set: { dropTo: 'n2' } }, 'set.dropTo: must be an array of member ids, got "n2"'],
      [{ id: 1, op: 'fault', set: { dropTo: Array.from({ length: 257 }, (_, i) => `n${i}`) } }, /^set\.dropTo: must name at most 256 members/],
      [{ id: 1, op: 'pause' }, 'ms: is required'],
      [{ id: 1, op: 'pause', ms: 0 }, 'ms: must be from 1 to 300000, got 0'],
      [{ id: 1, op: 'pause', ms: 300_001 }, 'ms: must be from 1 to 300000, got 300001'],
      [{ id: 1, op: 'pause', ms: 2.5 }, /^ms: must be an integer number of milliseconds/],
    ];
    for (const [request, message] of cases) refused(parseAdminRequest(frame(request)), 'BAD_REQUEST', message, 1);
  });

  it('checks member ids and URLs as SPEC writes them', () => {
    for (const id of ['n1', '0', 'a-b-c', 'z'.repeat(32), '9-'])
      accepted(parseAdminRequest(frame({ id: 1, op: 'remove-member', memberId: id })));
    for (const id of ['', '-a', 'A', 'n_1', 'n.1', 'z'.repeat(33), 'n1 ', 'né'])
      refused(parseAdminRequest(frame({ id: 1, op: 'remove-member', memberId: id })), 'BAD_REQUEST', /^memberId:/, 1);

    for (const url of ['ws://127.0.0.1:7001', 'wss://example.com', 'ws://[::1]:7001', 'WS://HOST:1/path'])
      assert.equal(isMemberUrl(url), true, url);
    for (const url of ['', 'http://h:1', 'https://h', 'ws://', 'ws://u:p@h:1', 'ws://h:1?x=1', 'ws://h:1#f', 'ws://h:99999', 'h:1', 'ws:h'])
      assert.equal(isMemberUrl(url), false, url);
    refused(parseAdminRequest(frame({ id: 1, op: 'add-member', memberId: 'n4', url: `ws://${'h'.repeat(2048)}` })), 'BAD_REQUEST', /^url: must be at most 2048 characters/, 1);
  });
});

function nodeStatus(): NodeStatus {
  return {
    id: 'n1',
    cluster: 'default',
    version: '0.1.0',
    pid: 4242,
    uptimeMs: 1234.5,
    role: 'leader',
    term: 3,
    votedFor: 'n1',
    leaderId: 'n1',
    commitIndex: 10,
    appliedIndex: 10,
    firstIndex: 1,
    lastIndex: 11,
    snapshot: { index: 0, term: 0, bytes: 0 },
    wal: { bytes: 4096, segments: 1 },
    config: { voters: ['n1', 'n2', 'n3'], learners: [] },
    members: [
      { id: 'n1', url: 'ws://127.0.0.1:7001' },
      { id: 'n2', url: 'ws://127.0.0.1:7002' },
      { id: 'n3', url: 'ws://127.0.0.1:7003' },
    ],
    faults: { dropTo: [], dropFrom: [], delayMs: 0, jitterMs: 0, lossRate: 0, duplicateRate: 0 },
    progress: {
      n2: { match: 11, next: 12, state: 'replicate', inflight: 0, lagEntries: 0, lastContactMs: 12 },
      n3: { match: 4, next: 5, state: 'probe', inflight: 1, lagEntries: 7, lastContactMs: 900 },
    },
  };
}

describe('answers and events', () => {
  it('builds failure frames, with and without id and leader hint', () => {
    assert.deepEqual(failure(3, 'NOT_LEADER', 'not the leader', { leaderId: 'n2', leaderUrl: 'ws://127.0.0.1:7002' }), {
      id: 3,
      ok: false,
      error: { code: 'NOT_LEADER', message: 'not the leader', leaderId: 'n2', leaderUrl: 'ws://127.0.0.1:7002' },
    });
    assert.deepEqual(failure(undefined, 'BAD_REQUEST', 'frame: not valid JSON'), {
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'frame: not valid JSON' },
    });
    const parsed = parseClientRequest('{"id":5,"op":"put"}');
    assert.ok(!parsed.ok);
    assert.deepEqual(failure(parsed.id, parsed.code, parsed.message), { id: 5, ok: false, error: { code: 'BAD_REQUEST', message: 'key: is required' } });
  });

  it('sorts the codes into not-applied and unknown outcomes as SPEC does', () => {
    for (const code of ['NOT_LEADER', 'NO_LEADER', 'BAD_REQUEST', 'TOO_LARGE', 'OVERLOADED', 'UNAUTHORIZED'] as const)
      assert.equal(isDefinitelyNotApplied(code), true, code);
    for (const code of ['TIMEOUT', 'SHUTTING_DOWN'] as const) assert.equal(isDefinitelyNotApplied(code), false, code);
  });

  it('reads client answers', () => {
    const answers = [
      { id: 1, ok: true, value: 'v', index: 7 },
      { id: 1, ok: true, value: null, index: 7 },
      { id: 2, ok: true, value: 'v2', index: 8, prev: null },
      { id: 4, ok: true, swapped: false, value: 'current', index: 9 },
      failure(5, 'NOT_LEADER', 'ask n2', { leaderId: 'n2', leaderUrl: 'ws://127.0.0.1:7002' }),
      failure(undefined, 'TIMEOUT', 'no quorum within 5 s'),
    ];
    for (const answer of answers) assert.deepEqual(parseClientResponse(frame(answer)), { ok: true, value: answer });

    const bad: [string, string][] = [
      [frame({ id: 1, ok: true, index: 7 }), 'value: is required'],
      [frame({ id: 1, ok: true, value: 3, index: 7 }), 'value: must be a string or null, got 3'],
      [frame({ id: 1, ok: true, value: 'v', index: -1 }), 'index: must be a non-negative integer, got -1'],
      [frame({ id: 1, ok: false, error: { code: 'NOPE', message: 'm' } }), /^error\.code: must be one of NOT_LEADER/.source],
      [frame({ id: 1, ok: false, error: { code: 'NOT_LEADER', message: 'm', leaderUrl: 'http://x' } }), /^error\.leaderUrl:/.source],
      ['[1]', 'frame: must be a JSON object, got an array'],
    ];
    for (const [text, message] of bad) {
      const result = parseClientResponse(text);
      assert.ok(!result.ok, text);
      assert.match(result.message, new RegExp(message.startsWith('^') ? message : `^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    }
  });

  it('reads admin answers of every kind', () => {
    const answers = [
      { id: 1, ok: true, op: 'status', status: nodeStatus() },
      { id: 1, ok: true, op: 'status', status: { ...nodeStatus(), role: 'learner', votedFor: null, leaderId: null, progress: undefined } },
      { id: 2, ok: true, op: 'subscribe' },
      { id: 3, ok: true, op: 'add-member' },
      { id: 7, ok: true, op: 'snapshot', snapshot: { index: 100, term: 3, bytes: 5120 } },
      { id: 8, ok: true, op: 'fault', faults: { dropTo: ['n2'], dropFrom: ['n2'], delayMs: 0, jitterMs: 0, lossRate: 0, duplicateRate: 0 } },
      failure(6, 'NOT_LEADER', 'not the leader'),
    ];
    for (const answer of answers) {
      const result = parseAdminServerFrame(frame(answer));
      assert.deepEqual(result, { ok: true, value: JSON.parse(frame(answer)) });
    }
    const bad: [object, string | RegExp][] = [
      [{ id: 1, ok: true }, 'op: is required'],
      [{ id: 1, ok: true, op: 'status' }, 'status: is required'],
      [{ id: 1, ok: true, op: 'status', status: { ...nodeStatus(), role: 'boss' } }, /^status\.role: must be one of leader, follower, candidate, precandidate, learner, got "boss"$/],
      [{ id: 1, ok: true, op: 'status', status: { ...nodeStatus(), term: 1.5 } }, 'status.term: must be a non-negative integer, got 1.5'],
      [{ id: 1, ok: true, op: 'status', status: { ...nodeStatus(), members: [{ id: 'n1', url: 'tcp://x' }] } }, /^status\.members\[0\]\.url:/],
      [{ id: 1, ok: true, op: 'status', status: { ...nodeStatus(), progress: { n2: { ...nodeStatus().progress!.n2, state: 'lost' } } } }, /^status\.progress\.n2\.state:/],
      [{ id: 1, ok: true, op: 'snapshot', snapshot: { index: 1, term: 1 } }, 'snapshot.bytes: is required'],
      [{ id: 1, ok: true, op: 'launch' }, /^op: must be one of status, subscribe/],
    ];
    for (const [answer, message] of bad) {
      const result = parseAdminServerFrame(frame(answer));
      assert.ok(!result.ok, frame(answer));
      if (typeof message === 'string') assert.equal(result.message, message);
      else assert.match(result.message, message);
    }
  });

  it('reads every event type', () => {
    const events: AdminEvent[] = [
      { event: 'status', node: 'n1', at: 1_700_000_000_000, status: nodeStatus() },
      { event: 'election', node: 'n2', at: 1, phase: 'started', term: 4, candidate: 'n2', votes: 1, durationMs: 0 },
      { event: 'election', node: 'n2', at: 2, phase: 'won', term: 4, candidate: 'n2', votes: 2, durationMs: 12.5 },
      { event: 'election', node: 'n3', at: 2, phase: 'lost', term: 4, candidate: 'n3', votes: 1, durationMs: 300 },
      { event: 'role', node: 'n2', at: 3, role: 'leader', previousRole: 'candidate', term: 4, leaderId: 'n2' },
      { event: 'role', node: 'n3', at: 3, role: 'follower', previousRole: 'precandidate', term: 4, leaderId: null },
      { event: 'snapshot', node: 'n1', at: 4, action: 'created', index: 10_000, term: 4, bytes: 65_536, durationMs: 8 },
      { event: 'snapshot', node: 'n1', at: 5, action: 'sent', index: 10_000, term: 4, bytes: 65_536, durationMs: 30, peer: 'n4' },
      { event: 'membership', node: 'n1', at: 6, change: 'add-learner', memberId: 'n4', index: 10_001, config: { voters: ['n1'], learners: ['n4'] }, members: [{ id: 'n1', url: 'ws://a:1' }, { id: 'n4', url: 'ws://a:4' }] },
      { event: 'membership', node: 'n1', at: 6, change: 'bootstrap', index: 1, config: { voters: ['n1'], learners: [], votersOutgoing: [] }, members: [] },
      { event: 'fault', node: 'n1', at: 7, faults: { dropTo: ['n2'], dropFrom: [], delayMs: 100, jitterMs: 10, lossRate: 0.2, duplicateRate: 0 } },
    ];
    for (const event of events) assert.deepEqual(parseAdminServerFrame(frame(event)), { ok: true, value: event });

    const bad: [object, string | RegExp][] = [
      [{ event: 'party', node: 'n1', at: 1 }, 'event: must be one of status, election, role, snapshot, membership, fault, got "party"'],
      [{ event: 'election', node: 'n1', at: 1, phase: 'tied', term: 1, candidate: 'n1', votes: 1, durationMs: 0 }, 'phase: must be "started", "won" or "lost", got "tied"'],
      [{ event: 'snapshot', node: 'n1', at: 1, action: 'created', index: 1, term: 1, bytes: 1 }, 'durationMs: is required'],
      [{ event: 'fault', node: 'n1', at: 1, faults: {} }, 'faults.dropTo: is required'],
      [{ event: 'role', at: 1, role: 'leader', previousRole: 'follower', term: 1, leaderId: 'n1' }, 'node: is required'],
    ];
    for (const [event, message] of bad) {
      const result = parseAdminServerFrame(frame(event));
      assert.ok(!result.ok, frame(event));
      if (typeof message === 'string') assert.equal(result.message, message);
      else assert.match(result.message, message);
    }
  });
});

describe('utf8ByteLength', () => {
  it('agrees with TextEncoder, lone surrogates included', () => {
    const rng = new Rng(7);
    const encoder = new TextEncoder();
    const samples = ['', 'abc', 'é', '€', '😀', '\ud800', '\udc00x', 'a\ud83d', '\ud83d\ude00\ud83d'];
    for (let i = 0; i < 500; i++) {
      samples.push(Array.from({ length: rng.int(20) }, () => String.fromCharCode(rng.pick([rng.int(0x80), rng.int(0x800), rng.int(0x10000), 0xd800 + rng.int(0x800)]))).join(''));
    }
    for (const text of samples) assert.equal(utf8ByteLength(text), encoder.encode(text).length, JSON.stringify(text));
  });
});
