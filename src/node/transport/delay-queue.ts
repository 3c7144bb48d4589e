// Messages held back by a delay fault, for one peer, released in order of their due time. One
// timer per queue; the messages due together leave as one batch (so one frame).
import type { Message } from '../../raft/types.ts';

interface Delayed {
  due: number;
  message: Message;
  bytes: number;
}

/** Most bytes of entry and snapshot data one peer's queue may hold; beyond it messages are refused. */
export const MAX_DELAYED_BYTES = 64 * 1024 * 1024;

export class DelayQueue {
  private items: Delayed[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly release: (messages: Message[]) => void) {}

  /**
   * Queues `message` for `delayMs`; false when the queue is full. Unless `reorder`, a message
   * never overtakes one queued before it, whatever its own delay.
   */
  push(message: Message, delayMs: number, reorder: boolean): boolean {
    const bytes = messageBytes(message);
    if (this.bytes + bytes > MAX_DELAYED_BYTES) return false;
    let due = performance.now() + delayMs;
    const items = this.items;
    let at = items.length;
    if (reorder) {
      // After every item due at or before `due`: equal due times keep their send order.
      let low = 0;
      while (low < at) {
        const mid = (low + at) >>> 1;
        if (items[mid].due <= due) low = mid + 1;
        else at = mid;
      }
    } else if (at > 0) {
      due = Math.max(due, items[at - 1].due);
    }
    items.splice(at, 0, { due, message, bytes });
    this.bytes += bytes;
    if (at === 0) this.schedule();
    return true;
  }

  queuedBytes(): number {
    return this.bytes;
  }

  /** Forgets every queued message. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.bytes = 0;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.items[0].due - performance.now()));
  }

  private flush(): void {
    this.timer = undefined;
    // Timers may fire a little early; a millisecond of slack avoids a second wake-up for it.
    const now = performance.now() + 1;
    let count = 0;
    while (count < this.items.length && this.items[count].due <= now) count++;
    const due = this.items.splice(0, count);
    for (const item of due) this.bytes -= item.bytes;
    this.schedule();
    if (due.length > 0) this.release(due.map((item) => item.message));
  }
}

function messageBytes(message: Message): number {
  let bytes = 64 + (message.snapshot?.data.length ?? 0);
  for (const entry of message.entries) bytes += entry.data.length;
  return bytes;
}
