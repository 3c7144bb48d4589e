// How long to wait before reconnecting: exponential growth with a cap, and jitter so that many
// clients (or members) that lost the same node do not all come back at the same instant.
// Used by the console's admin clients and by raft-node's peer links.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1: the share of each delay that is random. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5_000, jitter: 0.5 };

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    if (!(options.initialMs > 0 && options.maxMs >= options.initialMs && options.jitter >= 0 && options.jitter <= 1)) {
      throw new Error(`invalid backoff: need 0 < initialMs <= maxMs and 0 <= jitter <= 1, got ${JSON.stringify(options)}`);
    }
  }

  /** The delay before the next attempt; each call doubles the base up to the cap. */
  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return base * (1 - this.options.jitter * this.random());
  }

  /** After a success: start again from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }

  /** Straight to the longest delay: for a peer that refused us, which retrying soon will not fix. */
  slowest(): void {
    this.attempt = Math.ceil(Math.log2(this.options.maxMs / this.options.initialMs));
  }
}
