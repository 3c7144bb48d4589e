// What was done to a cluster and when: faults, their reverts, heals and notes, kept in a bounded
// buffer and published to listeners as they are recorded.
import type { TimelineEntry } from '../../shared/drill.ts';
import { Listeners } from '../listeners.ts';
import { RingBuffer } from '../telemetry/ring-buffer.ts';

export type { TimelineEntry } from '../../shared/drill.ts';

const DEFAULT_CAPACITY = 1_000;

export class Timeline {
  private readonly buffer: RingBuffer<TimelineEntry>;
  private readonly listeners = new Listeners<TimelineEntry>();

  /** Keeps the newest `capacity` entries. */
  constructor(capacity = DEFAULT_CAPACITY) {
    this.buffer = new RingBuffer(capacity);
  }

  /** Oldest first. */
  entries(): TimelineEntry[] {
    return this.buffer.toArray();
  }

  /** Stamps the entry with the time now (ms since the epoch), keeps it and publishes it. */
  record(entry: Omit<TimelineEntry, 'at'>): TimelineEntry {
    const stamped: TimelineEntry = { at: Date.now(), ...entry };
    this.buffer.push(stamped);
    this.listeners.emit(stamped);
    return stamped;
  }

  /** Calls `listener` with every entry recorded from now on; returns the function that stops it. */
  onEntry(listener: (entry: TimelineEntry) => void): () => void {
    return this.listeners.add(listener);
  }
}
