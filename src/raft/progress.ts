// The leader's view of one follower: how much of the log it holds and how to send it more.
import type { PeerProgress, ProgressState } from './types.ts';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** The snapshot index being sent, in the snapshot state. */
  pendingSnapshot = 0;
  /** In the probe state, one App is in flight and the next waits for its answer or a heartbeat. */
  probeSent = false;
  /** Last index of each App in flight, oldest first (replicate state). */
  private inflights: number[] = [];
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  ticksSinceContact = 0;

  constructor(
    next: number,
    public learner: boolean,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    this.next = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.enter('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.enter('replicate');
  }

  becomeSnapshot(index: number): void {
    this.enter('snapshot');
    this.pendingSnapshot = index;
  }

  private enter(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights = [];
  }

  /** An acknowledgement up to `index`. Returns whether it told the leader something new. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      this.probeSent = false;
      updated = true;
    }
    if (this.next < index + 1) this.next = index + 1;
    return updated;
  }

  /**
   * A rejection of the App whose previous index was `rejected`; `hint` is the highest index the
   * follower might still match. Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), 1);
    this.probeSent = false;
    return true;
  }

  /** Records an App that carried entries up to `lastIndex` (or none). */
  sentEntries(lastIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.inflights.push(lastIndex);
        this.next = lastIndex + 1;
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** Forgets the in-flight Apps acknowledged up to `index`. */
  freeTo(index: number): void {
    let n = 0;
    while (n < this.inflights.length && this.inflights[n] <= index) n++;
    if (n > 0) this.inflights.splice(0, n);
  }

  freeFirst(): void {
    this.inflights.shift();
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.length >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }

  inflightCount(): number {
    return this.inflights.length;
  }

  toStatus(): PeerProgress {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      inflight: this.inflights.length,
      recentActive: this.recentActive,
      ticksSinceContact: this.ticksSinceContact,
      learner: this.learner,
    };
  }
}
