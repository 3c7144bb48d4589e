// The replicated state machine: a string-to-string map changed only by committed commands, in
// log order, and saved whole into snapshots.
import { pack, unpack } from 'msgpackr';
import type { KvCommand } from './kv-command.ts';

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

  /** The whole map as snapshot data. */
  serialize(): Uint8Array {
    const flat: string[] = [];
    for (const [k, v] of this.map) flat.push(k, v);
    return pack([SNAPSHOT_FORMAT, flat]);
  }

  /** Replaces the map with a snapshot's data; throws if the data is not a snapshot of this store. */
  restore(data: Uint8Array): void {
    const decoded: unknown = data.length === 0 ? [SNAPSHOT_FORMAT, []] : unpack(data);
    if (!Array.isArray(decoded) || decoded[0] !== SNAPSHOT_FORMAT || !Array.isArray(decoded[1]) || decoded[1].length % 2 !== 0) {
      throw new Error('snapshot data is not a key-value snapshot of format 1');
    }
    const flat = decoded[1] as unknown[];
    const map = new Map<string, string>();
    for (let i = 0; i < flat.length; i += 2) {
      const [k, v] = [flat[i], flat[i + 1]];
      if (typeof k !== 'string' || typeof v !== 'string') throw new Error('snapshot data holds a non-string key or value');
      map.set(k, v);
    }
    this.map = map;
  }
}
