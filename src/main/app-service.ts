// The API behind the renderer, for the desktop app and web mode alike. It watches one cluster at a
// time: the local 3-node cluster it hosts in a data folder (opening the one already there, or
// creating it), or a remote cluster the operator connects to (whose connection settings may be
// saved as profiles). It answers the page's calls, pushes updates of the watched cluster to every
// subscriber, and carries out the operator's operations on it (membership, faults, drills) one at
// a time. Electron-free.
import { dirname, join, resolve } from 'node:path';
import {
  PAUSE_MS,
  REMOTE_CONNECT_TIMEOUT_MS,
  type ClusterUpdate,
  type DrillRequest,
  type DrillSummary,
  type NewMember,
  type OperationStatus,
  type ProfileListing,
  type RemoteClusterRequest,
} from '../shared/api.ts';
import type { FaultState } from '../shared/protocol/node-status.ts';
import { ClusterLog } from './cluster-log.ts';
import { buildClusterUpdate, type WatchedClusterInfo } from './cluster-update.ts';
import type { ClusterConnection } from './connection/cluster-connection.ts';
import { memberBaseUrl } from './connection/endpoint.ts';
import { runFailoverDrill } from './drill/drill.ts';
import { summarizeDrill } from './drill/drill-summary.ts';
import type { LocalCluster } from './hosting/local-cluster.ts';
import { addMember, OperationError, removeMember, transferLeadership, type MembershipProgress } from './ops/membership.ts';
import { ProfileStore, type ConnectionProfile } from './profiles.ts';
import { closeWatched, clusterName, openHosted, openRemote, type WatchedCluster } from './watched-cluster.ts';

export interface AppServiceOptions {
  /** The local cluster's folder: opened if it holds one, else a new cluster is created in it. */
  dir: string;
  /** raft-node flags for a new cluster; an existing one keeps those it was created with. */
  nodeArgs?: string[];
  /**
   * The app's own files: connection profiles in `profiles/`, remote clusters' drill histories and
   * reports in `remote-drills/`. Default: the folder that holds `dir`.
   */
  dataDir?: string;
}

/**
 * Patient elections (the members share a laptop with everything else), and snapshots often
 * enough that their sizes show after a short while of writes.
 */
const LOCAL_CLUSTER_NODE_ARGS = ['--election-timeout', '300-600', '--snapshot-entries', '1000'];
const LOCAL_CLUSTER_SIZE = 3;
/** How long a heal waits for the members' cleared faults to show in their statuses. */
const HEAL_VISIBLE_MS = 3_000;
/** How long a removal may take to reach the members that have not applied it yet. */
const REMOVAL_SPREAD_MS = 5_000;
/** How long stop() waits for the operation under way (a drill abandons its rounds at once) before it stops the members anyway. */
const STOP_WAIT_MS = 10_000;

/** A page's update stream, moved to each cluster the app watches in turn. */
interface Subscriber {
  onUpdate: (update: ClusterUpdate) => void;
  /** Stops its stream from the cluster watched now. */
  stop: (() => void) | undefined;
}

export class AppService {
  readonly dir: string;
  readonly profiles: ProfileStore;
  private readonly remoteDrillsDir: string;
  private readonly nodeArgs: string[];
  /** The cluster watched: the local one being opened at first (rejected if that failed), later whichever was switched to. */
  private watching: Promise<WatchedCluster> | undefined;
  /** The same cluster once it is open. */
  private current: WatchedCluster | undefined;
  private readonly subscribers = new Set<Subscriber>();
  /** A switch to another cluster under way. */
  private switching: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** The operation under way; its progress is updated in place. */
  private operation: OperationStatus | null = null;
  /** The same operation's promise, for stop() to wait on. */
  private running: Promise<unknown> | undefined;
  /** Aborted by stop(): a drill under way abandons its rounds. */
  private readonly stopSignal = new AbortController();

  constructor(options: AppServiceOptions) {
    this.dir = resolve(options.dir);
    this.nodeArgs = options.nodeArgs ?? LOCAL_CLUSTER_NODE_ARGS;
    const dataDir = resolve(options.dataDir ?? dirname(this.dir));
    this.profiles = new ProfileStore(join(dataDir, 'profiles'));
    this.remoteDrillsDir = join(dataDir, 'remote-drills');
  }

  /** Opens or creates the local cluster and starts watching it (unless another is watched already). */
  async start(): Promise<void> {
    await this.watched();
  }

  /** Everything kept about the watched cluster. Waits while it starts; throws if it could not. */
  async clusterSnapshot(): Promise<ClusterUpdate> {
    const watched = await this.watched();
    return buildClusterUpdate(this.info(watched), watched.telemetry.snapshot(), new ClusterLog());
  }

  /**
   * `onUpdate` gets a full update once a cluster is watched, then deltas, at most 10 a second; after
   * a switch to another cluster, a full update of that one. A cluster that fails to start sends
   * nothing: clusterSnapshot() reports why.
   */
  subscribe(onUpdate: (update: ClusterUpdate) => void): () => void {
    const subscriber: Subscriber = { onUpdate, stop: undefined };
    this.subscribers.add(subscriber);
    if (this.current) this.attach(subscriber, this.current);
    else this.watched().catch(() => {}); // attached once it is open
    return () => {
      this.subscribers.delete(subscriber);
      subscriber.stop?.();
    };
  }

  /**
   * Watches the remote cluster at `request.urls` instead of the one watched now: once one of its
   * members answers, saves the profile (with `saveAs`), switches every subscriber to it, and stops
   * the hosted members cleanly (their data stays for hostLocal). On any failure the app goes on
   * watching what it watched.
   */
  async connectRemote(request: RemoteClusterRequest): Promise<void> {
    const urls = [...new Set(request.urls.map(memberBaseUrl))];
    const profile = request.saveAs ?? null;
    return this.switchTo(`Connecting to ${urls.join(', ')}`, async (previous, progress) => {
      const own = urls.filter((url) => previous?.host?.urls().includes(url));
      if (own.length > 0) throw new OperationError(`${own.join(', ')} is a member of the app's own local cluster, which it watches already`);
      progress(`waiting up to ${REMOTE_CONNECT_TIMEOUT_MS / 1000} s for a member to answer`);
      const next = await openRemote({ urls, tokenFile: request.tokenFile, caFile: request.caFile, profile }, REMOTE_CONNECT_TIMEOUT_MS);
      // Another name for one of its own members (ws://localhost:PORT) passes the check above: the
      // switch would then stop the very cluster it connected to.
      const hosted = previous?.host && urls.some(isLoopbackUrl) ? ownMemberAnswering(next, previous.host) : undefined;
      if (hosted) {
        await closeWatched(next);
        throw new OperationError(`${hosted.url} is ${hosted.id} of the app's own local cluster, which it watches already`);
      }
      if (profile !== null) {
        progress(`saving the profile "${profile}"`);
        await this.profiles.save(profileOf(profile, urls, request)).catch(async (error: Error) => {
          await closeWatched(next);
          throw new OperationError(`could not save the profile "${profile}": ${error.message}`);
        });
      }
      return next;
    });
  }

  /**
   * Watches the local cluster again, starting its members from its folder. Already watched (the
   * page recovering from a first load that failed or timed out, say): nothing to do.
   */
  hostLocal(): Promise<void> {
    return this.switchTo('Starting the local cluster', async (previous, progress) => {
      if (previous?.host) return previous;
      progress(`starting its members from ${this.dir}`);
      return openHosted(this.dir, { size: LOCAL_CLUSTER_SIZE, nodeArgs: this.nodeArgs });
    });
  }

  /** The saved connection profiles (never a token), and the files in the profiles folder that are not valid ones. */
  async listProfiles(): Promise<ProfileListing> {
    const { profiles, problems } = await this.profiles.list();
    return { profiles: profiles.map(savedProfile), problems };
  }

  /** Deletes the profile's file; a profile that does not exist is no error. */
  deleteProfile(name: string): Promise<void> {
    return this.profiles.remove(name);
  }

  /** Hosted: SIGKILL; resolves once the process is gone, and healAll starts it again. Remote: the `crash` op, not undone here. */
  killMember(id: string): Promise<void> {
    return this.operate(`Killing ${id}`, ({ faults }) => faults.kill(id));
  }

  /** Hosted only: stops the member cleanly if it runs, then starts it; resolves once it is healthy. */
  restartMember(id: string): Promise<void> {
    return this.operate(`Restarting ${id}`, async (watched) => {
      if (!watched.host) throw new OperationError(`${id} is a member of a remote cluster: restart it where it runs`);
      await watched.faults.restart(id);
      // Show it back at once rather than at the watcher's next reconnect, which backs off to seconds.
      watched.connection.refresh(id);
    });
  }

  /**
   * Adds a member: learner, catch-up, voter. Hosted: starts a new member first (no argument), and
   * when the add fails before it joined the configuration, stops and forgets it again. Remote:
   * `member` is one its operator started with `raft-node --join`.
   */
  addMember(member?: NewMember): Promise<{ id: string; url: string }> {
    return this.operate('Adding a member', async ({ host, connection }, progress) => {
      let added: NewMember;
      if (host) {
        if (member) throw new OperationError('the local cluster starts its new members itself: add one without an id and URL');
        progress('starting a new raft-node process');
        added = await host.addMember();
      } else {
        if (!member) throw new OperationError('a remote cluster adds a member that runs already: start it with raft-node --join, then give its id and URL');
        added = { id: member.id, url: memberBaseUrl(member.url) };
      }
      const known = connection.member(added.id) !== undefined;
      /** The add reached the leader: from then on the configuration may name the member because of this call. */
      let changing = false;
      const onProgress = (step: MembershipProgress): void => {
        if (step.phase === 'adding') changing = true;
        progress(describeAddStep(added.id, added.url, step));
      };
      try {
        await addMember(connection, added, { onProgress });
      } catch (error) {
        const why = (error as Error).message;
        if (changing && namedInConfiguration(connection, added.id)) throw new OperationError(`${why} (${added.id} is in the configuration: remove it if it should not stay)`);
        if (!known) connection.forget(added.id);
        if (!host) throw new OperationError(why);
        const cleanup = await host.retire(added.id).then(
          () => `${added.id} was stopped again`,
          (retireError: Error) => `stopping ${added.id} failed too: ${retireError.message}`,
        );
        throw new OperationError(`${why}; ${cleanup}`);
      }
      return added;
    });
  }

  /** Removes the member from the configuration (refused, with the reason, when unsafe); a hosted one is then stopped for good. */
  removeMember(id: string): Promise<void> {
    return this.operate(`Removing ${id}`, async ({ host, connection }, progress) => {
      progress(`removing ${id} from the configuration`);
      await removeMember(connection, id);
      // Best effort: a member that has not applied the removal yet (one cut off, say) still names it,
      // and the connection would start watching it again.
      await connection.waitUntil((c) => !namedByAnyone(c, id), REMOVAL_SPREAD_MS, `the members to apply the removal of ${id}`).catch(() => {});
      connection.forget(id);
      if (host?.members().some((member) => member.id === id)) {
        progress(`stopping ${id}`);
        await host.retire(id);
      }
    });
  }

  /** Resolves once `id` leads. */
  transferLeader(id: string): Promise<void> {
    return this.operate(`Handing leadership to ${id}`, ({ connection }) => transferLeadership(connection, id));
  }

  /** Hosted: SIGSTOP for PAUSE_MS, then SIGCONT (or at healAll). Remote: the `pause` op; the member resumes by itself. */
  pauseMember(id: string): Promise<void> {
    return this.operate(`Pausing ${id}`, async ({ host, faults }) => {
      const state = host?.member(id).state;
      if (state !== undefined && state !== 'running') throw new OperationError(`${id} is ${state}: only a running member can be paused`);
      await faults.pause(id, { ms: PAUSE_MS });
    });
  }

  /** Cuts every link between the member and the others, both ways, until healAll. */
  partitionMember(id: string): Promise<void> {
    return this.operate(`Cutting ${id} off`, async (watched) => {
      const { connection, faults } = watched;
      // A second partition would replace the drop lists of the first, silently joining members again.
      // The statuses are polled, so right after a partition they may not show it yet: hence the flag.
      const cut = [...(watched.partitioned === null ? [] : [`${watched.partitioned} cut off`]), ...cutOffMembers(connection)];
      if (cut.length > 0) throw new OperationError(`a partition is in force already (${cut.join('; ')}): heal it first`);
      // Recorded once the drop lists went out, even if some member missed them.
      const stopWatching = faults.timeline.onEntry((entry) => {
        if (entry.kind === 'fault' && entry.action === 'partition') watched.partitioned = id;
      });
      try {
        await faults.partition([id]);
      } finally {
        stopWatching();
      }
    });
  }

  /** Clears every member's message faults; hosted: also resumes paused members and starts the members killed here. */
  healAll(): Promise<void> {
    return this.operate('Healing the cluster', async (watched) => {
      const { host, connection, faults } = watched;
      await faults.heal();
      watched.partitioned = null;
      for (const member of host?.members() ?? []) connection.refresh(member.id);
      // Done once the page can see it (each member pushes a fault event), so that a partition
      // asked for right after is not refused for drop lists already cleared.
      await connection.waitUntil((c) => cutOffMembers(c).length === 0, HEAL_VISIBLE_MS, 'the cleared faults to show').catch(() => {});
    });
  }

  /** Runs a failover drill; its history and reports go to `<cluster dir>/drills/` (hosted) or `<data dir>/remote-drills/`. */
  runDrill(request: DrillRequest): Promise<DrillSummary> {
    return this.operate(`Running a ${request.scenario} drill`, async ({ host, connection, auth }, progress) => {
      const folder = host ? join(host.dir, 'drills') : this.remoteDrillsDir;
      const report = await runFailoverDrill({
        conn: connection,
        host,
        auth,
        scenario: request.scenario,
        rounds: request.rounds,
        faultMs: request.faultMs,
        historyFile: join(folder, `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`),
        onProgress: progress,
        signal: this.stopSignal.signal,
      });
      return summarizeDrill(report);
    });
  }

  /**
   * Stops watching; a hosted cluster's members are stopped cleanly (SIGTERM, then SIGKILL after a
   * grace period). An operation under way is given up to STOP_WAIT_MS to end first (a drill is
   * abandoned), so that its clients do not go on against closed connections.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopSignal.abort(new Error('the app is stopping'));
      await settledWithin(this.running, STOP_WAIT_MS);
      // A switch under way finishes first, so that the cluster it leaves watched is the one closed.
      await this.switching?.catch(() => {});
      const watched = await this.watching?.catch(() => undefined);
      if (watched) await closeWatched(watched);
    })();
    return this.stopping;
  }

  /** Runs one operation, refusing it while another is under way; `progress` tells its steps. */
  private async operate<T>(name: string, run: (watched: WatchedCluster, progress: (step: string) => void) => Promise<T>): Promise<T> {
    const watched = await this.watched();
    const operation = this.claimOperation(name);
    const running = run(watched, (step) => (operation.progress = step));
    this.running = running;
    try {
      return await running;
    } finally {
      this.operation = null;
      this.running = undefined;
    }
  }

  /**
   * Switches to the cluster `open` returns (as an operation: refused while another runs), moving
   * every subscriber to it, then closes the one watched before. When `open` throws, or returns the
   * cluster watched already, nothing changes.
   */
  private async switchTo(name: string, open: (previous: WatchedCluster | undefined, progress: (step: string) => void) => Promise<WatchedCluster>): Promise<void> {
    if (this.stopping) throw new Error('the app is stopping its cluster');
    const operation = this.claimOperation(name);
    const progress = (step: string): void => void (operation.progress = step);
    const switching = (async () => {
      // The local cluster may still be starting: let it, so that it does not take over afterwards.
      await this.watching?.catch(() => {});
      const previous = this.current;
      const next = await open(previous, progress);
      if (next === previous) return;
      if (this.stopping) {
        await closeWatched(next);
        throw new Error('the app is stopping its cluster');
      }
      this.watching = Promise.resolve(next);
      this.watch(next);
      if (previous) {
        progress(previous.host ? "stopping the local cluster's members (their data stays)" : 'closing the connections to the remote cluster');
        await closeWatched(previous).catch((error: Error) => {
          throw new OperationError(`switched clusters, but letting go of the one watched before failed: ${error.message}`);
        });
      }
    })();
    this.switching = switching;
    try {
      await switching;
    } finally {
      this.operation = null;
    }
  }

  private claimOperation(name: string): OperationStatus {
    const current = this.operation;
    if (current) {
      const seconds = Math.round((Date.now() - current.startedAt) / 1000);
      throw new OperationError(`${current.name} is under way (for ${seconds} s): one operation at a time; try again once it is done`);
    }
    const operation: OperationStatus = { name, progress: '', startedAt: Date.now() };
    this.operation = operation;
    return operation;
  }

  private info(watched: WatchedCluster): WatchedClusterInfo {
    const faults = new Map<string, FaultState>();
    for (const view of watched.connection.memberViews()) if (view.id !== null && view.status) faults.set(view.id, view.status.faults);
    return {
      name: clusterName(watched),
      source: watched.source,
      members: watched.host?.members() ?? [],
      faults,
      operation: this.operation && { ...this.operation },
    };
  }

  private watched(): Promise<WatchedCluster> {
    if (this.stopping) return Promise.reject(new Error('the app is stopping its cluster'));
    this.watching ??= openHosted(this.dir, { size: LOCAL_CLUSTER_SIZE, nodeArgs: this.nodeArgs }).then((hosted) => {
      this.watch(hosted);
      return hosted;
    });
    return this.watching;
  }

  /** Makes `watched` the current cluster and moves every subscriber's stream to it. */
  private watch(watched: WatchedCluster): void {
    this.current = watched;
    for (const subscriber of this.subscribers) this.attach(subscriber, watched);
  }

  private attach(subscriber: Subscriber, watched: WatchedCluster): void {
    subscriber.stop?.();
    const log = new ClusterLog();
    subscriber.stop = watched.telemetry.subscribe((update) => subscriber.onUpdate(buildClusterUpdate(this.info(watched), update, log)));
  }
}

/** The profile to save for a connection: where the token is, never the token. */
function profileOf(name: string, urls: string[], request: RemoteClusterRequest): ConnectionProfile {
  const profile: ConnectionProfile = { name, urls };
  if (request.tokenFile !== undefined) profile.tokenFile = request.tokenFile;
  if (request.caFile !== undefined) profile.tls = { caFile: request.caFile };
  return profile;
}

function savedProfile(profile: ConnectionProfile): ProfileListing['profiles'][number] {
  const saved: ProfileListing['profiles'][number] = { name: profile.name, urls: profile.urls };
  if (profile.tokenFile !== undefined) saved.tokenFile = profile.tokenFile;
  if (profile.tls?.caFile !== undefined) saved.caFile = profile.tls.caFile;
  return saved;
}

function describeAddStep(id: string, url: string, step: MembershipProgress): string {
  switch (step.phase) {
    case 'adding':
      return `adding ${id} (${url}) as a learner`;
    case 'catching-up':
      if (step.matched === undefined) return `waiting for ${id} to catch up`;
      return `catching up: ${step.matched} of ${step.leaderLastIndex ?? '?'} entries replicated to ${id}`;
    case 'promoting':
      return `promoting ${id} to voter`;
    case 'done':
      return `${id} is a voter`;
  }
}

/** Some other member's latest status has `id` as a voter or learner. */
function namedInConfiguration(connection: ClusterConnection, id: string): boolean {
  return connection.memberViews().some(({ id: viewId, status }) => viewId !== id && status !== null && (status.config.voters.includes(id) || status.config.learners.includes(id)));
}

/** Some connected member other than `id` still lists it among the members. */
function namedByAnyone(connection: ClusterConnection, id: string): boolean {
  return connection.memberViews().some((view) => view.state === 'connected' && view.id !== id && view.status?.members.some((m) => m.id === id));
}

/** A loopback name or address: the URL may reach a member this app hosts. */
function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A member of `remote` that answered with the pid (and cluster name) of one of `host`'s members. */
function ownMemberAnswering(remote: WatchedCluster, host: LocalCluster): { url: string; id: string } | undefined {
  for (const view of remote.connection.memberViews()) {
    const status = view.status;
    if (status === null || status.cluster !== host.name) continue;
    const member = host.members().find((m) => m.pid === status.pid);
    if (member) return { url: view.url, id: member.id };
  }
  return undefined;
}

/** Waits until `promise` settles, or `ms` at most. */
async function settledWithin(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!promise) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([promise.then(() => {}, () => {}), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** "n3 drops n1, n2" for each connected member with a drop list. */
function cutOffMembers(connection: ClusterConnection): string[] {
  return connection.memberViews().flatMap((view) => {
    const faults = view.state === 'connected' ? view.status?.faults : undefined;
    if (!faults || faults.dropTo.length + faults.dropFrom.length === 0) return [];
    return [`${view.id ?? view.url} drops ${[...new Set([...faults.dropTo, ...faults.dropFrom])].join(', ')}`];
  });
}
