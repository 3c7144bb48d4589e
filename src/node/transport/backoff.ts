// Reconnect delays: exponential from 50 ms to 2 s, each drawn from the upper half of its step so
// that members which lost each other at the same moment do not redial in lockstep.

const FIRST_MS = 50;
const MAX_MS = 2000;

export class Backoff {
  private stepMs = FIRST_MS;

  constructor(private readonly random: () => number) {}

  next(): number {
    const step = this.stepMs;
    this.stepMs = Math.min(MAX_MS, step * 2);
    return step / 2 + (this.random() * step) / 2;
  }

  reset(): void {
    this.stepMs = FIRST_MS;
  }

  /** Straight to the longest delay: for a peer that refused us, which retrying soon will not fix. */
  slowest(): void {
    this.stepMs = MAX_MS;
  }
}
