// The replicated state machine: a string-to-string map changed only by committed commands, in
// log order, and saved whole into snapshots.
import type { KvCommand } from './kv-command.ts';
import { FrameReader } from './transport/codec-reader.ts';
import { FrameWriter, stringSize, varintSize } from './transport/codec-writer.ts';

export interface KvResult {
  /** The value after the command (null when absent). */
  value: string | null;
  prev?: string | null;
  swapped?: boolean;
}

const SNAPSHOT_FORMAT = 1;

export class KvStore {
  private map = new Map<string, string>();

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  get size(): number {
    return this.map.size;
  }

  apply(cmd: KvCommand): KvResult {
    const prev = this.get(cmd.key);
    switch (cmd.op) {
      case 'put':
        this.map.set(cmd.key, cmd.value);
        return { value: cmd.value, prev };
      case 'delete':
        this.map.delete(cmd.key);
        return { value: null, prev };
      case 'cas':
        if (prev !== cmd.expect) return { value: prev, swapped: false };
        this.map.set(cmd.key, cmd.value);
        return { value: cmd.value, swapped: true };
    }
  }

  /** The whole map as snapshot data: format, count, then key and value strings. */
  serialize(): Uint8Array {
    let size = 1 + varintSize(this.map.size);
    for (const [k, v] of this.map) size += stringSize(k) + stringSize(v);
    const w = new FrameWriter(size);
    w.u8(SNAPSHOT_FORMAT);
    w.varint(this.map.size, 'snapshot key count');
    for (const [k, v] of this.map) {
      w.string(k);
      w.string(v);
    }
    return w.finish();
  }

  /** Replaces the map with a snapshot's data; throws if the data is not a snapshot of this store. */
  restore(data: Uint8Array): void {
    const map = new Map<string, string>();
    if (data.length > 0) {
      const r = new FrameReader(data);
      const format = r.u8('snapshot format');
      if (format !== SNAPSHOT_FORMAT) throw new Error(`snapshot data has format ${format}; this version reads format ${SNAPSHOT_FORMAT}`);
      const count = r.count('snapshot key count', 2);
      for (let i = 0; i < count; i++) map.set(r.string('snapshot key'), r.string('snapshot value'));
      r.finish();
    }
    this.map = map;
  }
}
