// A fixed-capacity buffer: push is O(1) and, once full, overwrites the oldest item. Its storage is
// allocated once and never grows, so a series kept for days costs no more than one kept for minutes.

export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;
  private total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring buffer capacity must be a whole number >= 1, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity).fill(undefined);
  }

  /** Adds `item` as the newest; returns the oldest item it pushed out, if the buffer was full. */
  push(item: T): T | undefined {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count++;
      this.total++;
      return undefined;
    }
    const evicted = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    this.total++;
    return evicted;
  }

  get size(): number {
    return this.count;
  }

  /** How many items were ever pushed: tells a reader how many are new since it last looked. */
  get pushed(): number {
    return this.total;
  }

  /** The item at `index`, 0 being the oldest kept. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.start + index) % this.capacity];
  }

  last(): T | undefined {
    return this.at(this.count - 1);
  }

  /** Everything kept, oldest first. */
  toArray(): T[] {
    return this.newest(this.count);
  }

  /** The newest `n` items (fewer if fewer are kept), oldest first. */
  newest(n: number): T[] {
    const take = Math.max(0, Math.min(n, this.count));
    const result = new Array<T>(take);
    for (let i = 0; i < take; i++) result[i] = this.at(this.count - take + i) as T;
    return result;
  }

  /** The items pushed after the `pushed` count was `since` (as many as are still kept), oldest first. */
  pushedSince(since: number): T[] {
    return this.newest(this.total - since);
  }
}
