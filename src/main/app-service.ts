// The API behind the renderer, for the desktop app and web mode alike: it hosts a local 3-node
// cluster in a data folder (opening the one already there, or creating it), watches it through a
// ClusterConnection and Telemetry, answers the page's calls, and carries out the operator's
// operations on it (membership, faults, drills), one at a time. Electron-free.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PAUSE_MS, type ClusterUpdate, type DrillRequest, type DrillSummary, type OperationStatus } from '../shared/api.ts';
import type { FaultState } from '../shared/protocol/node-status.ts';
import { ClusterLog } from './cluster-log.ts';
import { buildClusterUpdate, type HostedClusterInfo } from './cluster-update.ts';
import { ClusterConnection } from './connection/cluster-connection.ts';
import { runFailoverDrill } from './drill/drill.ts';
import { summarizeDrill } from './drill/drill-summary.ts';
import { clusterFilePath } from './hosting/cluster-file.ts';
import { LocalCluster } from './hosting/local-cluster.ts';
import { FaultInjector } from './ops/faults.ts';
import { addMember, OperationError, removeMember, transferLeadership, type MembershipProgress } from './ops/membership.ts';
import { Telemetry } from './telemetry/telemetry.ts';

export interface AppServiceOptions {
  /** The cluster's folder: opened if it holds one, else a new cluster is created in it. */
  dir: string;
  /** raft-node flags for a new cluster; an existing one keeps those it was created with. */
  nodeArgs?: string[];
}

/**
 * Patient elections (the members share a laptop with everything else), and snapshots often
 * enough that their sizes show after a short while of writes.
 */
const LOCAL_CLUSTER_NODE_ARGS = ['--election-timeout', '300-600', '--snapshot-entries', '1000'];
const LOCAL_CLUSTER_SIZE = 3;
/** How long a removal may take to reach the members that have not applied it yet. */
const REMOVAL_SPREAD_MS = 5_000;

interface Hosted {
  cluster: LocalCluster;
  connection: ClusterConnection;
  telemetry: Telemetry;
  /** Faults from the page: heal undoes them (it restarts the members it killed). */
  faults: FaultInjector;
}

export class AppService {
  readonly dir: string;
  private readonly nodeArgs: string[];
  private starting: Promise<Hosted> | undefined;
  private stopping: Promise<void> | undefined;
  /** The operation under way; its progress is updated in place. */
  private operation: OperationStatus | null = null;

  constructor(options: AppServiceOptions) {
    this.dir = resolve(options.dir);
    this.nodeArgs = options.nodeArgs ?? LOCAL_CLUSTER_NODE_ARGS;
  }

  /** Opens or creates the cluster and starts watching it; the same promise on every call. */
  async start(): Promise<void> {
    await this.hosted();
  }

  /** Everything kept about the cluster. Waits while it starts; throws if it could not. */
  async clusterSnapshot(): Promise<ClusterUpdate> {
    const hosted = await this.hosted();
    return buildClusterUpdate(this.hostInfo(hosted), hosted.telemetry.snapshot(), new ClusterLog());
  }

  /**
   * `onUpdate` gets a full update once the cluster runs, then deltas, at most 10 a second. A
   * cluster that fails to start sends nothing: clusterSnapshot() reports why.
   */
  subscribe(onUpdate: (update: ClusterUpdate) => void): () => void {
    let stopped = false;
    let unsubscribe: (() => void) | undefined;
    this.hosted().then(
      (hosted) => {
        if (stopped || this.stopping) return;
        const log = new ClusterLog();
        unsubscribe = hosted.telemetry.subscribe((update) => onUpdate(buildClusterUpdate(this.hostInfo(hosted), update, log)));
      },
      () => {},
    );
    return () => {
      stopped = true;
      unsubscribe?.();
    };
  }

  /** SIGKILL; resolves once the process is gone. healAll starts it again. */
  killMember(id: string): Promise<void> {
    return this.operate(`Killing ${id}`, ({ faults }) => faults.kill(id));
  }

  /** Stops the member cleanly if it runs, then starts it; resolves once it is healthy. */
  restartMember(id: string): Promise<void> {
    return this.operate(`Restarting ${id}`, async ({ connection, faults }) => {
      await faults.restart(id);
      // Show it back at once rather than at the watcher's next reconnect, which backs off to seconds.
      connection.refresh(id);
    });
  }

  /**
   * Starts a new member and adds it: learner, catch-up, voter. When that fails before the member
   * joined the configuration, the new member is stopped and forgotten again.
   */
  addMember(): Promise<{ id: string; url: string }> {
    return this.operate('Adding a member', async ({ cluster, connection }, progress) => {
      progress('starting a new raft-node process');
      const member = await cluster.addMember();
      try {
        await addMember(connection, member, { onProgress: (step) => progress(describeAddStep(member.id, member.url, step)) });
      } catch (error) {
        const why = (error as Error).message;
        if (namedInConfiguration(connection, member.id)) throw new OperationError(`${why} (${member.id} is in the configuration: remove it if it should not stay)`);
        connection.forget(member.id);
        const cleanup = await cluster.retire(member.id).then(
          () => `${member.id} was stopped again`,
          (retireError: Error) => `stopping ${member.id} failed too: ${retireError.message}`,
        );
        throw new OperationError(`${why}; ${cleanup}`);
      }
      return member;
    });
  }

  /** Removes the member from the configuration (refused, with the reason, when unsafe), then stops it for good. */
  removeMember(id: string): Promise<void> {
    return this.operate(`Removing ${id}`, async ({ cluster, connection }, progress) => {
      progress(`removing ${id} from the configuration`);
      await removeMember(connection, id);
      progress(`stopping ${id}`);
      // Best effort: a member that has not applied the removal yet (one cut off, say) still names it,
      // and the connection would start watching it again.
      await connection.waitUntil((c) => !namedByAnyone(c, id), REMOVAL_SPREAD_MS, `the members to apply the removal of ${id}`).catch(() => {});
      connection.forget(id);
      if (cluster.members().some((member) => member.id === id)) await cluster.retire(id);
    });
  }

  /** Resolves once `id` leads. */
  transferLeader(id: string): Promise<void> {
    return this.operate(`Handing leadership to ${id}`, ({ connection }) => transferLeadership(connection, id));
  }

  /** SIGSTOP for PAUSE_MS, then SIGCONT (or at healAll). */
  pauseMember(id: string): Promise<void> {
    return this.operate(`Pausing ${id}`, async ({ cluster, faults }) => {
      const { state } = cluster.member(id);
      if (state !== 'running') throw new OperationError(`${id} is ${state}: only a running member can be paused`);
      await faults.pause(id, { ms: PAUSE_MS });
    });
  }

  /** Cuts every link between the member and the others, both ways, until healAll. */
  partitionMember(id: string): Promise<void> {
    return this.operate(`Cutting ${id} off`, async ({ connection, faults }) => {
      // A second partition would replace the drop lists of the first, silently joining members again.
      const cut = cutOffMembers(connection);
      if (cut.length > 0) throw new OperationError(`a partition is in force already (${cut.join('; ')}): heal it first`);
      await faults.partition([id]);
    });
  }

  /** Resumes paused members, starts the members killed here, and clears every member's message faults. */
  healAll(): Promise<void> {
    return this.operate('Healing the cluster', async ({ cluster, connection, faults }) => {
      await faults.heal();
      for (const member of cluster.members()) connection.refresh(member.id);
    });
  }

  /** Runs a failover drill; its history and reports go to `<cluster dir>/drills/`. */
  runDrill(request: DrillRequest): Promise<DrillSummary> {
    return this.operate(`Running a ${request.scenario} drill`, async ({ cluster, connection }, progress) => {
      const report = await runFailoverDrill({
        conn: connection,
        host: cluster,
        scenario: request.scenario,
        rounds: request.rounds,
        faultMs: request.faultMs,
        historyFile: join(cluster.dir, 'drills', `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`),
        onProgress: progress,
      });
      return summarizeDrill(report);
    });
  }

  /** Stops watching and stops every member cleanly (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.starting) return;
      const hosted = await this.starting.catch(() => undefined);
      if (!hosted) return;
      hosted.faults.close();
      hosted.telemetry.close();
      hosted.connection.close();
      await hosted.cluster.stop();
    })();
    return this.stopping;
  }

  /** Runs one operation, refusing it while another is under way; `progress` tells its steps. */
  private async operate<T>(name: string, run: (hosted: Hosted, progress: (step: string) => void) => Promise<T>): Promise<T> {
    const hosted = await this.hosted();
    const current = this.operation;
    if (current) {
      const seconds = Math.round((Date.now() - current.startedAt) / 1000);
      throw new OperationError(`${current.name} is under way (for ${seconds} s): one operation at a time; try again once it is done`);
    }
    const operation: OperationStatus = { name, progress: '', startedAt: Date.now() };
    this.operation = operation;
    try {
      return await run(hosted, (step) => (operation.progress = step));
    } finally {
      this.operation = null;
    }
  }

  private hostInfo({ cluster, connection }: Hosted): HostedClusterInfo {
    const faults = new Map<string, FaultState>();
    for (const view of connection.memberViews()) if (view.id !== null && view.status) faults.set(view.id, view.status.faults);
    return { name: cluster.name, dir: cluster.dir, members: cluster.members(), faults, operation: this.operation && { ...this.operation } };
  }

  private hosted(): Promise<Hosted> {
    if (this.stopping) return Promise.reject(new Error('the app is stopping its cluster'));
    this.starting ??= this.open();
    return this.starting;
  }

  private async open(): Promise<Hosted> {
    let cluster: LocalCluster;
    try {
      cluster = existsSync(clusterFilePath(this.dir))
        ? await LocalCluster.open(this.dir)
        : await LocalCluster.create({ dir: this.dir, size: LOCAL_CLUSTER_SIZE, name: 'local', nodeArgs: this.nodeArgs });
    } catch (error) {
      throw new Error(`could not start the local cluster in ${this.dir}: ${(error as Error).message}`);
    }
    try {
      const connection = new ClusterConnection(cluster.urls(), { auth: await cluster.auth() });
      return { cluster, connection, telemetry: new Telemetry(connection), faults: new FaultInjector(connection, { host: cluster }) };
    } catch (error) {
      await cluster.stop();
      throw new Error(`could not watch the local cluster in ${this.dir}: ${(error as Error).message}`);
    }
  }
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

/** "n3 drops n1, n2" for each connected member with a drop list. */
function cutOffMembers(connection: ClusterConnection): string[] {
  return connection.memberViews().flatMap((view) => {
    const faults = view.state === 'connected' ? view.status?.faults : undefined;
    if (!faults || faults.dropTo.length + faults.dropFrom.length === 0) return [];
    return [`${view.id ?? view.url} drops ${[...new Set([...faults.dropTo, ...faults.dropFrom])].join(', ')}`];
  });
}
