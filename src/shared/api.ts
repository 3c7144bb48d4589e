// The API the renderer calls: `window.raftManager` in the desktop app (the preload exposes it, each
// call an IPC call), or the web-mode client with the same interface (each call a WebSocket frame).
// Arguments and results are plain data.
import type { NodeRole } from './protocol/node-status.ts';
import type { ElectionRecord, LagSample, MemberConnectionState } from './telemetry.ts';

export interface AppVersion {
  app: string;
  /** null in web mode. */
  electron: string | null;
  node: string;
  /** null in web mode. */
  chrome: string | null;
}

/** A hosted member's process (see LocalCluster): `stopped` by the app, `exited` on its own. */
export type HostedProcessState = 'starting' | 'running' | 'paused' | 'stopped' | 'exited';

/** One member of the hosted cluster, as it is now. */
export interface ClusterMember {
  id: string;
  url: string;
  /** null until a status arrived, and while it is unreachable (its last status may be stale). */
  role: NodeRole | null;
  /** The latest status's; kept while it is unreachable. */
  term: number;
  commitIndex: number;
  appliedIndex: number;
  /** The admin connection to it is up (its numbers are fresh). */
  reachable: boolean;
  connection: MemberConnectionState;
  /** Why it is unreachable; null while connected. */
  lastError: string | null;
  /** As a follower: how many entries it trails the leader by; null otherwise. */
  lagEntries: number | null;
  snapshotBytes: number;
  walBytes: number;
  /** Its process, when this app hosts it; null for a member it does not host. */
  process: { state: HostedProcessState; pid: number | null } | null;
}

/** One line of the event log. */
export interface ClusterLogEntry {
  at: number;
  memberId: string | null;
  kind: 'election' | 'role' | 'snapshot' | 'connection';
  message: string;
}

/**
 * The hosted cluster and its telemetry. A full update holds everything kept; a delta holds the
 * members as they are now plus only what is new in the series (elections: those that changed,
 * to replace by term).
 */
export interface ClusterUpdate {
  full: boolean;
  at: number;
  cluster: { name: string; dir: string };
  /** null while the cluster has no known leader. */
  leaderId: string | null;
  /** The latest leader's term. */
  term: number;
  /** Committed entries per second, at the leader. */
  commitRate: number;
  members: ClusterMember[];
  /** Replication lag samples by follower id. */
  lag: Record<string, LagSample[]>;
  elections: ElectionRecord[];
  log: ClusterLogEntry[];
}

export interface RaftManagerApi {
  appVersion(): Promise<AppVersion>;
  /** The hosted cluster now, with everything kept (a full update). Waits while the cluster starts. */
  clusterSnapshot(): Promise<ClusterUpdate>;
  /** SIGKILL a hosted member. */
  killMember(id: string): Promise<void>;
  /** Starts a hosted member again (stopping it cleanly first if it runs). */
  restartMember(id: string): Promise<void>;
  /**
   * Calls `onUpdate` with a full update soon, then with deltas, at most 10 a second. Each call
   * starts a fresh stream: every listener of this page gets a full update again. Returns the
   * function that stops it.
   */
  subscribe(onUpdate: (update: ClusterUpdate) => void): () => void;
}

/** The methods that are one request and one answer: all but subscribe. */
export type ApiCallMethod = Exclude<keyof RaftManagerApi, 'subscribe'>;

export type ApiResult<M extends ApiCallMethod> = Awaited<ReturnType<RaftManagerApi[M]>>;

/** The IPC channel behind each call; the preload invokes it and the main process handles it. */
export const API_CHANNELS = {
  appVersion: 'app:version',
  clusterSnapshot: 'cluster:snapshot',
  killMember: 'cluster:kill-member',
  restartMember: 'cluster:restart-member',
} as const satisfies Record<ApiCallMethod, string>;

/** How a call's answer travels (IPC and web mode): the value, or the error's message. */
export type ApiCallAnswer = { ok: true; value: unknown } | { ok: false; error: string };

export const API_CALL_METHODS = Object.keys(API_CHANNELS) as ApiCallMethod[];

/** The IPC channels of `subscribe`: the page sends subscribe/unsubscribe, the main process sends updates. */
export const API_UPDATE_CHANNELS = {
  subscribe: 'cluster:subscribe',
  unsubscribe: 'cluster:unsubscribe',
  update: 'cluster:update',
} as const;

export function isApiCallMethod(name: unknown): name is ApiCallMethod {
  return typeof name === 'string' && Object.hasOwn(API_CHANNELS, name);
}
