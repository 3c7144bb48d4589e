// Prometheus metrics of one node (SPEC names, prefixed raft_). Counters and the fsync histogram
// are fed by the loop; gauges are read from the node's state at scrape time.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LoopMetrics } from './raft-loop.ts';

/** The node's state as the gauges show it. */
export interface MetricsSample {
  term: number;
  isLeader: boolean;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  snapshotBytes: number;
  walBytes: number;
  /** Leader only: entries each follower lacks. */
  lagEntries: Record<string, number>;
}

export class NodeMetrics implements LoopMetrics {
  readonly registry = new Registry();
  private sample: () => MetricsSample | undefined = () => undefined;
  private readonly leaderChanges: Counter;
  private readonly committed: Counter;
  private readonly failed: Counter;
  private readonly fsync: Histogram;

  constructor() {
    const registers = [this.registry];
    this.leaderChanges = new Counter({ name: 'raft_leader_changes_total', help: 'Times this node saw a new leader', registers });
    this.committed = new Counter({ name: 'raft_proposals_committed_total', help: 'Writes proposed here that committed and applied', registers });
    this.failed = new Counter({ name: 'raft_proposals_failed_total', help: 'Writes proposed here that were refused, timed out or lost', registers });
    this.fsync = new Histogram({
      name: 'raft_wal_fsync_duration_seconds',
      help: 'Time of one durable write (O_DSYNC: write and sync in one call) of a batch to the write-ahead log',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    const current = () => this.sample();
    const gauge = (name: string, help: string, read: (s: MetricsSample) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect(this: Gauge) {
          const s = current();
          if (s) this.set(read(s));
        },
      });
    gauge('raft_term', 'Current term', (s) => s.term);
    gauge('raft_is_leader', '1 when this node is the leader', (s) => (s.isLeader ? 1 : 0));
    gauge('raft_commit_index', 'Highest log index known committed', (s) => s.commitIndex);
    gauge('raft_applied_index', 'Highest log index applied to the key-value store', (s) => s.appliedIndex);
    gauge('raft_last_index', 'Last index in this node\'s log', (s) => s.lastIndex);
    gauge('raft_snapshot_bytes', 'Size of the latest snapshot\'s data', (s) => s.snapshotBytes);
    gauge('raft_wal_bytes', 'Bytes in the write-ahead log segments', (s) => s.walBytes);
    new Gauge({
      name: 'raft_peer_lag_entries',
      help: 'Leader only: entries a follower lacks (leader last index minus its match index)',
      labelNames: ['peer'],
      registers,
      collect(this: Gauge<'peer'>) {
        this.reset();
        for (const [peer, entries] of Object.entries(current()?.lagEntries ?? {})) this.set({ peer }, entries);
      },
    });
  }

  /** Where the gauges read from once the node is running. */
  readFrom(sample: () => MetricsSample): void {
    this.sample = sample;
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  fsyncSeconds(seconds: number): void {
    this.fsync.observe(seconds);
  }

  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  proposalCommitted(): void {
    this.committed.inc();
  }

  proposalFailed(): void {
    this.failed.inc();
  }
}
