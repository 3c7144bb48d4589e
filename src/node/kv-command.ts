// Key-value writes as they travel in log entries: one op byte, then length-prefixed strings —
// compact, and read with the same checked reader as peer frames.
import { FrameReader } from './transport/codec-reader.ts';
import { FrameWriter, stringSize } from './transport/codec-writer.ts';

export type KvCommand =
  | { op: 'put'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expect: string | null; value: string };

const PUT = 1;
const DELETE = 2;
const CAS = 3;

export function encodeCommand(cmd: KvCommand): Uint8Array {
  switch (cmd.op) {
    case 'put': {
      const w = new FrameWriter(1 + stringSize(cmd.key) + stringSize(cmd.value));
      w.u8(PUT);
      w.string(cmd.key);
      w.string(cmd.value);
      return w.finish();
    }
    case 'delete': {
      const w = new FrameWriter(1 + stringSize(cmd.key));
      w.u8(DELETE);
      w.string(cmd.key);
      return w.finish();
    }
    case 'cas': {
      const expectSize = cmd.expect === null ? 0 : stringSize(cmd.expect);
      const w = new FrameWriter(1 + stringSize(cmd.key) + stringSize(cmd.value) + 1 + expectSize);
      w.u8(CAS);
      w.string(cmd.key);
      w.string(cmd.value);
      w.u8(cmd.expect === null ? 0 : 1);
      if (cmd.expect !== null) w.string(cmd.expect);
      return w.finish();
    }
  }
}

/** Decodes a committed entry's data; throws on anything this version did not write. */
export function decodeCommand(data: Uint8Array): KvCommand {
  const r = new FrameReader(data);
  const op = r.u8('command op');
  const key = r.string('command key');
  let cmd: KvCommand;
  if (op === PUT) cmd = { op: 'put', key, value: r.string('command value') };
  else if (op === DELETE) cmd = { op: 'delete', key };
  else if (op === CAS) {
    const value = r.string('command value');
    cmd = { op: 'cas', key, value, expect: r.flag('command expect present') ? r.string('command expect') : null };
  } else throw new Error(`log entry holds an unknown key-value command (op ${op})`);
  r.finish();
  return cmd;
}
