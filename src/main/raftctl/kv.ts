// `get`, `put`, `del` and `cas`: one key-value request each, through KvClient (which finds the
// leader). A write whose outcome is unknown (timeout, lost connection) exits 2 and says so.
import type { ClientSuccess } from '../../shared/protocol/client.ts';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../../shared/protocol/limits.ts';
import { utf8ByteLength } from '../../shared/protocol/utf8.ts';
import { RequestError } from '../connection/request-error.ts';
import { UsageError } from './args.ts';
import { CommandError, type Command } from './command.ts';

export const getCommand: Command = {
  name: 'get',
  operands: 'KEY',
  operandCount: [1, 1],
  summary: 'print the value of KEY (exit 1 when it is absent)',
  details: ['Linearizable by default: the answer reflects every write acknowledged before it was sent.'],
  flags: { serializable: 'read the local state of whichever member answers (fast, may be stale)' },
  reachesCluster: true,
  async run({ operands, flags, cluster, out }) {
    const key = checkKey(operands[0]);
    const kv = (await cluster()).kv();
    const answer = await kv.get(key, flags.bool('serializable') ? { consistency: 'serializable' } : {});
    if (out.json) out.data({ key, value: answer.value, index: answer.index });
    else if (answer.value !== null) out.line(answer.value);
    if (answer.value === null) throw new CommandError(`${JSON.stringify(key)} is absent`);
    return 0;
  },
};

export const putCommand: Command = {
  name: 'put',
  operands: 'KEY VALUE',
  operandCount: [2, 2],
  summary: 'set KEY to VALUE',
  details: ['A VALUE that starts with "-" goes after a lone "--": raftctl put KEY -- -1'],
  reachesCluster: true,
  async run({ operands, cluster, out }) {
    const key = checkKey(operands[0]);
    const value = checkValue(operands[1]);
    const answer = await write(() => cluster().then((c) => c.kv().put(key, value)));
    if (out.json) out.data({ key, value, index: answer.index, ...prevOf(answer) });
    else out.line(`OK, index ${answer.index}`);
    return 0;
  },
};

export const delCommand: Command = {
  name: 'del',
  operands: 'KEY',
  operandCount: [1, 1],
  summary: 'delete KEY (succeeds when it is already absent)',
  reachesCluster: true,
  async run({ operands, cluster, out }) {
    const key = checkKey(operands[0]);
    const answer = await write(() => cluster().then((c) => c.kv().delete(key)));
    if (out.json) out.data({ key, index: answer.index, ...prevOf(answer) });
    else out.line(answer.prev === null ? `OK (it was absent), index ${answer.index}` : `OK, index ${answer.index}`);
    return 0;
  },
};

export const casCommand: Command = {
  name: 'cas',
  operands: 'KEY EXPECT VALUE | KEY VALUE --absent',
  operandCount: [2, 3],
  summary: 'set KEY to VALUE only if it holds EXPECT (--absent: only if KEY is absent)',
  details: ['Exits 1 when it did not swap, naming the value KEY holds.'],
  flags: { absent: 'swap only when KEY is absent (then give KEY VALUE, no EXPECT)' },
  reachesCluster: true,
  async run({ operands, flags, cluster, out }) {
    const absent = flags.bool('absent');
    if (absent && operands.length !== 2) throw new UsageError('with --absent give KEY VALUE (no EXPECT)');
    if (!absent && operands.length !== 3) throw new UsageError('expected KEY EXPECT VALUE (or KEY VALUE --absent)');
    const key = checkKey(operands[0]);
    const expect = absent ? null : checkValue(operands[1]);
    const value = checkValue(operands[operands.length - 1]);
    const answer = await write(() => cluster().then((c) => c.kv().cas(key, expect, value)));
    const swapped = answer.swapped === true;
    if (out.json) out.data({ key, expect, value, swapped, current: answer.value, index: answer.index });
    else if (swapped) out.line(`swapped, index ${answer.index}`);
    if (!swapped) {
      const holds = answer.value === null ? 'is absent' : `holds ${JSON.stringify(answer.value)}`;
      throw new CommandError(`not swapped: ${JSON.stringify(key)} ${holds}`);
    }
    return 0;
  },
};

async function write(send: () => Promise<ClientSuccess>): Promise<ClientSuccess> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof RequestError && !error.definitelyNotApplied) {
      throw new CommandError(`${error.message} (the write may or may not have been applied)`, 2);
    }
    throw error;
  }
}

function prevOf(answer: ClientSuccess): { prev?: string | null } {
  return answer.prev === undefined ? {} : { prev: answer.prev };
}

function checkKey(key: string): string {
  if (key === '') throw new UsageError('KEY must not be empty');
  if (utf8ByteLength(key) > MAX_KEY_BYTES) throw new UsageError(`KEY must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
  return key;
}

function checkValue(value: string): string {
  if (utf8ByteLength(value) > MAX_VALUE_BYTES) throw new UsageError(`a value must be at most ${MAX_VALUE_BYTES} bytes of UTF-8`);
  return value;
}
