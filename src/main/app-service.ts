// The API behind the renderer, for the desktop app and web mode alike: it hosts a local 3-node
// cluster in a data folder (opening the one already there, or creating it), watches it through a
// ClusterConnection and Telemetry, and answers the page's calls. Electron-free.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClusterUpdate } from '../shared/api.ts';
import { ClusterLog } from './cluster-log.ts';
import { buildClusterUpdate, type HostedClusterInfo } from './cluster-update.ts';
import { ClusterConnection } from './connection/cluster-connection.ts';
import { clusterFilePath } from './hosting/cluster-file.ts';
import { LocalCluster } from './hosting/local-cluster.ts';
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

interface Hosted {
  cluster: LocalCluster;
  connection: ClusterConnection;
  telemetry: Telemetry;
}

export class AppService {
  readonly dir: string;
  private readonly nodeArgs: string[];
  private starting: Promise<Hosted> | undefined;
  private stopping: Promise<void> | undefined;

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
    return buildClusterUpdate(hostInfo(hosted.cluster), hosted.telemetry.snapshot(), new ClusterLog());
  }

  /**
   * `onUpdate` gets a full update once the cluster runs, then deltas, at most 10 a second. A
   * cluster that fails to start sends nothing: clusterSnapshot() reports why.
   */
  subscribe(onUpdate: (update: ClusterUpdate) => void): () => void {
    let stopped = false;
    let unsubscribe: (() => void) | undefined;
    this.hosted().then(
      ({ cluster, telemetry }) => {
        if (stopped || this.stopping) return;
        const log = new ClusterLog();
        unsubscribe = telemetry.subscribe((update) => onUpdate(buildClusterUpdate(hostInfo(cluster), update, log)));
      },
      () => {},
    );
    return () => {
      stopped = true;
      unsubscribe?.();
    };
  }

  /** SIGKILL; resolves once the process is gone. */
  async killMember(id: string): Promise<void> {
    const { cluster } = await this.hosted();
    await cluster.kill(id);
  }

  /** Stops the member cleanly if it runs, then starts it; resolves once it is healthy. */
  async restartMember(id: string): Promise<void> {
    const { cluster, connection } = await this.hosted();
    const { state } = cluster.member(id);
    if (state === 'stopped' || state === 'exited') await cluster.start(id);
    else await cluster.restart(id);
    // Show it back at once rather than at the watcher's next reconnect, which backs off to seconds.
    connection.refresh(id);
  }

  /** Stops watching and stops every member cleanly (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.starting) return;
      const hosted = await this.starting.catch(() => undefined);
      if (!hosted) return;
      hosted.telemetry.close();
      hosted.connection.close();
      await hosted.cluster.stop();
    })();
    return this.stopping;
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
      return { cluster, connection, telemetry: new Telemetry(connection) };
    } catch (error) {
      await cluster.stop();
      throw new Error(`could not watch the local cluster in ${this.dir}: ${(error as Error).message}`);
    }
  }
}

function hostInfo(cluster: LocalCluster): HostedClusterInfo {
  return { name: cluster.name, dir: cluster.dir, members: cluster.members() };
}
