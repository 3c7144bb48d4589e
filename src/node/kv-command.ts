// Key-value writes as they travel in log entries: a compact msgpack array, not JSON.
import { pack, unpack } from 'msgpackr';

export type KvCommand =
  | { op: 'put'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expect: string | null; value: string };

const PUT = 1;
const DELETE = 2;
const CAS = 3;

export function encodeCommand(cmd: KvCommand): Uint8Array {
  switch (cmd.op) {
    case 'put':
      return pack([PUT, cmd.key, cmd.value]);
    case 'delete':
      return pack([DELETE, cmd.key]);
    case 'cas':
      return pack([CAS, cmd.key, cmd.value, cmd.expect]);
  }
}

/** Decodes a committed entry's data; throws on anything this version did not write. */
export function decodeCommand(data: Uint8Array): KvCommand {
  const fields: unknown = unpack(data);
  if (!Array.isArray(fields) || typeof fields[1] !== 'string') throw new Error('log entry is not a key-value command');
  const [op, key, value, expect] = fields as [number, string, unknown, unknown];
  if (op === PUT && typeof value === 'string') return { op: 'put', key, value };
  if (op === DELETE) return { op: 'delete', key };
  if (op === CAS && typeof value === 'string' && (expect === null || typeof expect === 'string')) {
    return { op: 'cas', key, expect, value };
  }
  throw new Error(`log entry holds an unknown key-value command (op ${String(op)})`);
}
