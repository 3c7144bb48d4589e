// The API the renderer calls: `window.raftManager` in the desktop app (the preload exposes it, each
// call an IPC call), or the web-mode client with the same interface (each call a WebSocket frame).
// Arguments and results are plain data.
import type { DrillReport, DrillScenario } from './drill.ts';
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

/** One member of the watched cluster, as it is now. */
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
  /** The members its messages to or from are dropped (a partition), by its latest status; empty while unreachable. */
  cutOffFrom: string[];
}

/** The operation the app is carrying out (one at a time), for everyone watching. */
export interface OperationStatus {
  /** e.g. "Adding a member". */
  name: string;
  /** Its latest step, e.g. "catching up: 120 of 130 entries replicated to n4"; '' before the first. */
  progress: string;
  startedAt: number;
}

/** One line of the event log. */
export interface ClusterLogEntry {
  at: number;
  memberId: string | null;
  kind: 'election' | 'role' | 'snapshot' | 'connection';
  message: string;
}

/**
 * Which cluster the app watches: the local one it hosts (in `dir`), or a remote one it reaches at
 * `urls` (the URLs given; the other members are discovered), saved as `profile` or not.
 */
export type ClusterSource = { kind: 'hosted'; dir: string } | { kind: 'remote'; urls: string[]; profile: string | null };

/**
 * The watched cluster and its telemetry. A full update holds everything kept; a delta holds the
 * members as they are now plus only what is new in the series (elections: those that changed,
 * to replace by term). A switch to another cluster starts again with a full update.
 */
export interface ClusterUpdate {
  full: boolean;
  at: number;
  /** `name`: the cluster's name (`--cluster`); null for a remote cluster until a member answered. */
  cluster: { name: string | null; source: ClusterSource };
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
  /** What the app is doing to the cluster now; null when nothing. */
  operation: OperationStatus | null;
}

/** How long pauseMember freezes a member before it is resumed (SIGCONT), or resumes by itself (remote). */
export const PAUSE_MS = 10_000;
export const MAX_DRILL_ROUNDS = 10;
/** Bounds on how long a drill holds each fault. */
export const DRILL_FAULT_MS = { min: 500, max: 60_000, default: 3_000 } as const;

/** The most member URLs connectRemote takes. */
export const MAX_REMOTE_URLS = 64;
/** How long connectRemote waits for a member to answer. */
export const REMOTE_CONNECT_TIMEOUT_MS = 10_000;

/** How to reach a remote cluster. Paths are absolute; the token is read from its file, never sent. */
export interface RemoteClusterRequest {
  /** Members' admin URLs, ws://HOST:PORT or wss://HOST:PORT; one is enough, the others are discovered. */
  urls: string[];
  tokenFile?: string;
  /** A PEM file with the CA that signed the members' certificates (wss://). */
  caFile?: string;
  /** Save these settings as a connection profile of this name (replacing one of the same name). */
  saveAs?: string;
}

/** A saved connection profile: where to find the cluster and the token's file, never the token. */
export interface SavedProfile {
  name: string;
  urls: string[];
  tokenFile?: string;
  caFile?: string;
}

export interface ProfileListing {
  profiles: SavedProfile[];
  /** Files in the profiles folder that are not valid profiles, with why. */
  problems: { file: string; error: string }[];
}

/** A member a remote cluster's operator started with `raft-node --join`, to add. */
export interface NewMember {
  id: string;
  url: string;
}

export interface DrillRequest {
  scenario: DrillScenario;
  /** 1 to MAX_DRILL_ROUNDS. */
  rounds: number;
  /** How long each fault is held; DRILL_FAULT_MS. */
  faultMs?: number;
}

/**
 * What the page shows of a drill: its DrillReport without the history's operations and the
 * timeline (the reports saved on disk have everything).
 */
export interface DrillSummary
  extends Pick<
    DrillReport,
    'scenario' | 'startedAt' | 'durationMs' | 'faultMs' | 'rounds' | 'ops' | 'verdict' | 'lostWrites' | 'unavailability' | 'historyFile' | 'reportFiles'
  > {
  anomalyCount: number;
  /** The first few anomalies: the key and why. */
  anomalies: { key: string; reason: string }[];
}

export interface RaftManagerApi {
  appVersion(): Promise<AppVersion>;
  /** The watched cluster now, with everything kept (a full update). Waits while the cluster starts. */
  clusterSnapshot(): Promise<ClusterUpdate>;
  /**
   * Watches the remote cluster at `request.urls` instead: once a member answers (within
   * REMOTE_CONNECT_TIMEOUT_MS), the hosted cluster's members are stopped cleanly (their data stays)
   * and the update stream switches to the remote cluster. On failure the app goes on watching what
   * it watched. Refused while an operation is under way.
   */
  connectRemote(request: RemoteClusterRequest): Promise<void>;
  /** Watches the local cluster again, starting its members from its folder. */
  hostLocal(): Promise<void>;
  listProfiles(): Promise<ProfileListing>;
  deleteProfile(name: string): Promise<void>;
  /** Hosted: SIGKILL, and healAll starts it again. Remote: the `crash` op; it must be restarted where it runs. */
  killMember(id: string): Promise<void>;
  /** Starts a hosted member again (stopping it cleanly first if it runs). Hosted clusters only. */
  restartMember(id: string): Promise<void>;
  /**
   * Adds a member: as a learner, then, once caught up, as a voter. Hosted: the app starts the new
   * member itself (no argument). Remote: `member` names one already started with `raft-node --join`.
   */
  addMember(member?: NewMember): Promise<{ id: string; url: string }>;
  /** Removes a member from the configuration (refused when unsafe); a hosted one is stopped for good. */
  removeMember(id: string): Promise<void>;
  /** Hands leadership to the voter `id` and resolves once it leads. */
  transferLeader(id: string): Promise<void>;
  /**
   * Freezes a member for PAUSE_MS. Hosted: SIGSTOP (healAll resumes it sooner). Remote: the admin
   * `pause` op; it resumes by itself.
   */
  pauseMember(id: string): Promise<void>;
  /** Cuts every link between `id` and the other members, both ways, until healAll. */
  partitionMember(id: string): Promise<void>;
  /** Clears every partition; hosted: also resumes paused members and starts those killed through this API. */
  healAll(): Promise<void>;
  /** Runs a failover drill (it may take minutes) and saves its report next to its history. */
  runDrill(request: DrillRequest): Promise<DrillSummary>;
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

/** Sends one call and resolves with its result: an IPC invoke (preload) or a WebSocket frame (web mode). */
export type ApiCall = <M extends ApiCallMethod>(method: M, ...args: unknown[]) => Promise<ApiResult<M>>;

/** Every call method of the API, each passed to `call` with its own arguments. */
export function apiCalls(call: ApiCall): Omit<RaftManagerApi, 'subscribe'> {
  return {
    appVersion: () => call('appVersion'),
    clusterSnapshot: () => call('clusterSnapshot'),
    connectRemote: (request) => call('connectRemote', request),
    hostLocal: () => call('hostLocal'),
    listProfiles: () => call('listProfiles'),
    deleteProfile: (name) => call('deleteProfile', name),
    killMember: (id) => call('killMember', id),
    restartMember: (id) => call('restartMember', id),
    // No argument at all for a hosted cluster: the handler tells the two apart by the count.
    addMember: (member) => (member ? call('addMember', member) : call('addMember')),
    removeMember: (id) => call('removeMember', id),
    transferLeader: (id) => call('transferLeader', id),
    pauseMember: (id) => call('pauseMember', id),
    partitionMember: (id) => call('partitionMember', id),
    healAll: () => call('healAll'),
    runDrill: (request) => call('runDrill', request),
  };
}

/** The IPC channel behind each call; the preload invokes it and the main process handles it. */
export const API_CHANNELS = {
  appVersion: 'app:version',
  clusterSnapshot: 'cluster:snapshot',
  connectRemote: 'cluster:connect-remote',
  hostLocal: 'cluster:host-local',
  listProfiles: 'profiles:list',
  deleteProfile: 'profiles:delete',
  killMember: 'cluster:kill-member',
  restartMember: 'cluster:restart-member',
  addMember: 'cluster:add-member',
  removeMember: 'cluster:remove-member',
  transferLeader: 'cluster:transfer-leader',
  pauseMember: 'cluster:pause-member',
  partitionMember: 'cluster:partition-member',
  healAll: 'cluster:heal-all',
  runDrill: 'cluster:run-drill',
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
