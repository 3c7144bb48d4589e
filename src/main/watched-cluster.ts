// The cluster the app watches: the local one it hosts (its processes, and faults that signal them),
// or a remote one reached through its members' admin endpoints alone. Opening either yields the
// whole set (connection, telemetry, fault injector) or throws, leaving nothing behind.
import { existsSync } from 'node:fs';
import type { ClusterSource } from '../shared/api.ts';
import { ClusterConnection } from './connection/cluster-connection.ts';
import { loadAuth, memberBaseUrl, type ConnectionAuth } from './connection/endpoint.ts';
import { clusterFilePath } from './hosting/cluster-file.ts';
import { LocalCluster } from './hosting/local-cluster.ts';
import { FaultInjector } from './ops/faults.ts';
import { Telemetry } from './telemetry/telemetry.ts';

export interface WatchedCluster {
  source: ClusterSource;
  /** The hosted cluster's processes; undefined for a remote cluster. */
  host: LocalCluster | undefined;
  connection: ClusterConnection;
  /** What the connections present (the token), for the drill's clients too. */
  auth: ConnectionAuth;
  telemetry: Telemetry;
  /** Faults from the page: hosted, heal undoes them (it restarts the members it killed). */
  faults: FaultInjector;
  /**
   * The member a partition from the page cut off, until a heal succeeds; null when none is in force.
   * The members' statuses show a partition only at their next poll.
   */
  partitioned: string | null;
}

export interface RemoteCluster {
  urls: string[];
  tokenFile?: string;
  caFile?: string;
  /** The profile these settings are saved as, if any. */
  profile: string | null;
}

/** Opens the local cluster in `dir`, or creates it there (with `create`) when the folder holds none. */
export async function openHosted(dir: string, create: { size: number; nodeArgs: string[] }): Promise<WatchedCluster> {
  let host: LocalCluster;
  try {
    host = existsSync(clusterFilePath(dir)) ? await LocalCluster.open(dir) : await LocalCluster.create({ dir, name: 'local', ...create });
  } catch (error) {
    throw new Error(`could not start the local cluster in ${dir}: ${(error as Error).message}`);
  }
  try {
    const auth = await host.auth();
    const connection = new ClusterConnection(host.urls(), { auth });
    return { source: { kind: 'hosted', dir }, host, connection, auth, ...watch(connection, host) };
  } catch (error) {
    await host.stop();
    throw new Error(`could not watch the local cluster in ${dir}: ${(error as Error).message}`);
  }
}

/**
 * Connects to a remote cluster. Resolves once a member has answered (the others are discovered from
 * its configuration and keep connecting); throws, naming each URL's problem, when every given URL
 * failed or none answered within `timeoutMs`.
 */
export async function openRemote(remote: RemoteCluster, timeoutMs: number): Promise<WatchedCluster> {
  const urls = [...new Set(remote.urls.map(memberBaseUrl))];
  const auth = await loadAuth({ tokenFile: remote.tokenFile, caFile: remote.caFile });
  const connection = new ClusterConnection(urls, { auth });
  const answered = (c: ClusterConnection): boolean => c.memberViews().some((view) => view.status !== null);
  const allFailed = (c: ClusterConnection): boolean => c.memberViews().every((view) => view.state === 'unreachable');
  await connection.waitUntil((c) => answered(c) || allFailed(c), timeoutMs, 'a member to answer').catch(() => {});
  if (!answered(connection)) {
    const why = connection.memberViews().map((view) => `${view.url}: ${view.lastError ?? `no answer within ${timeoutMs / 1000} s`}`);
    connection.close();
    throw new Error(`none of ${urls.join(', ')} answered: ${why.join('; ')}`);
  }
  return { source: { kind: 'remote', urls, profile: remote.profile }, host: undefined, connection, auth, ...watch(connection, undefined) };
}

/** Stops watching; a hosted cluster's members are stopped cleanly (SIGTERM, SIGKILL after a grace period), their data kept. */
export async function closeWatched(watched: WatchedCluster): Promise<void> {
  watched.faults.close();
  watched.telemetry.close();
  watched.connection.close();
  await watched.host?.stop();
}

/** The cluster's name: the host's, or the one a remote member's status gives; null before any answered. */
export function clusterName(watched: WatchedCluster): string | null {
  if (watched.host) return watched.host.name;
  return watched.connection.memberViews().find((view) => view.status !== null)?.status?.cluster ?? null;
}

function watch(connection: ClusterConnection, host: LocalCluster | undefined): Pick<WatchedCluster, 'telemetry' | 'faults' | 'partitioned'> {
  return { telemetry: new Telemetry(connection), faults: new FaultInjector(connection, { host }), partitioned: null };
}
