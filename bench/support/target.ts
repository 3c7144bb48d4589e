// What the key-value benchmark needs from a running cluster, raft-node or etcd alike.

export type Target = 'raft' | 'etcd';

export type PutOutcome = { ok: true } | { ok: false; code: string };

/** One client connection to the leader; many puts may be in flight on it. */
export interface PutConnection {
  /** Resolves (never rejects) with the answer; a lost connection is an outcome, not a throw. */
  put(key: string, value: string): Promise<PutOutcome>;
  close(): Promise<void>;
}

/** Counters read from the servers at one moment, to turn into rates over the measured window. */
export interface ServerSample {
  /** performance.now() when the sample was taken. */
  at: number;
  /** WAL fsyncs the leader has done so far, and the seconds they took. */
  leaderFsyncs: number;
  leaderFsyncSeconds: number;
  /** WAL fsyncs each follower has done so far. */
  followerFsyncs: number[];
  /** Leader changes seen so far, added up over all members: a change in the window spoils the run. */
  leaderChanges: number;
  /** CPU seconds used so far: the leader, then each follower. */
  leaderCpuSeconds: number;
  followerCpuSeconds: number[];
}

export interface RunningCluster {
  /** The leader's member id and process id. */
  readonly leader: { id: string; pid: number };
  /** Where clients reach the leader (see openConnection). */
  readonly clientUrl: string;
  sample(): Promise<ServerSample>;
  /** Stops every member (bounded) and removes its data. */
  close(): Promise<void>;
}
