// The simulated application: an append-only list of what every applied entry was, so that any two
// nodes' applied histories can be compared index by index. A snapshot captures the whole list.
import { applyConfChange, decodeConfChange, EMPTY_CONF } from '../../src/raft/confchange.ts';
import { EntryType } from '../../src/raft/types.ts';
import type { ConfChange, ConfState, Entry, Snapshot } from '../../src/raft/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const textCache = new WeakMap<Uint8Array, string>();

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

function text(data: Uint8Array): string {
  let t = textCache.get(data);
  if (t === undefined) textCache.set(data, (t = decoder.decode(data)));
  return t;
}

/** What an entry is, independent of its index: equal keys at one index mean the same entry. */
export function entryKey(e: Entry): string {
  return `${e.term}|${e.type}|${text(e.data)}`;
}

/** The parts of a key after the term: the entry's type and data as text. */
function splitKey(key: string): { type: EntryType; text: string } {
  const a = key.indexOf('|');
  const b = key.indexOf('|', a + 1);
  return { type: Number(key.slice(a + 1, b)), text: key.slice(b + 1) };
}

/** The application payload a key carries, or undefined for a no-op or a Conf entry. */
function keyPayload(key: string): string | undefined {
  const { type, text } = splitKey(key);
  return type === EntryType.Normal && text !== '' ? text : undefined;
}

/** The membership change a key carries, or undefined. */
export function keyConfChange(key: string): ConfChange | undefined {
  const { type, text } = splitKey(key);
  return type === EntryType.Conf ? (JSON.parse(text) as ConfChange) : undefined;
}

export class StateMachine {
  /** keys[i - 1] is the key of the entry applied at index i. */
  readonly keys: string[];
  appliedTerm: number;
  conf: ConfState;
  private readonly payloadSet = new Set<string>();

  constructor(snapshot?: Snapshot) {
    this.keys = snapshot ? decodeSnapshotKeys(snapshot) : [];
    for (const key of this.keys) this.notePayload(key);
    this.appliedTerm = snapshot?.meta.term ?? 0;
    this.conf = snapshot?.meta.conf ?? EMPTY_CONF;
  }

  get applied(): number {
    return this.keys.length;
  }

  apply(e: Entry): void {
    const key = entryKey(e);
    this.keys.push(key);
    this.notePayload(key);
    this.appliedTerm = e.term;
    if (e.type === EntryType.Conf) this.conf = applyConfChange(this.conf, decodeConfChange(e.data));
  }

  snapshotData(): Uint8Array {
    return encoder.encode(JSON.stringify(this.keys));
  }

  hasApplied(payload: string): boolean {
    return this.payloadSet.has(payload);
  }

  private notePayload(key: string): void {
    const payload = keyPayload(key);
    if (payload !== undefined) this.payloadSet.add(payload);
  }

  /** Application payloads in the order they were applied. */
  payloads(): string[] {
    return this.keys.map(keyPayload).filter((p) => p !== undefined);
  }
}

export function decodeSnapshotKeys(snapshot: Snapshot): string[] {
  const keys: unknown = JSON.parse(decoder.decode(snapshot.data));
  if (!Array.isArray(keys) || keys.length !== snapshot.meta.index) {
    throw new Error(`snapshot at ${snapshot.meta.index} holds ${Array.isArray(keys) ? keys.length : 'no'} entries`);
  }
  return keys as string[];
}
