// How a command reaches its cluster: `--endpoints URL,...` (with --token-file and the TLS files) or
// `--dir DIR`, a hosted cluster's folder (its cluster.json and token). Connections open on first
// use and are closed by close(); a hosted cluster's processes are adopted only when a command needs
// to signal them, and left running afterwards.
import { ClusterConnection } from '../connection/cluster-connection.ts';
import { loadAuth, memberBaseUrl, type ConnectionAuth } from '../connection/endpoint.ts';
import { KvClient } from '../connection/kv-client.ts';
import { readClusterFile } from '../hosting/cluster-file.ts';
import { LocalCluster } from '../hosting/local-cluster.ts';
import { UsageError, type Flags } from './args.ts';

export const ADDRESSING_FLAGS = ['endpoints', 'dir', 'token-file', 'ca-file', 'cert-file', 'key-file', 'timeout-ms'] as const;

const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_CONNECT_MS = 3_000;
const FAST_RECONNECT = { initialMs: 50, maxMs: 1_000, jitter: 0.5 };

export class ClusterAccess {
  private connection: ClusterConnection | undefined;
  private kvClient: KvClient | undefined;
  private hosted: LocalCluster | undefined;

  private constructor(
    readonly urls: string[],
    readonly auth: ConnectionAuth,
    /** The hosted cluster's folder, with --dir. */
    readonly dir: string | undefined,
    /** Bound on each request. */
    readonly timeoutMs: number,
  ) {}

  static async fromFlags(flags: Flags): Promise<ClusterAccess> {
    const timeoutMs = flags.int('timeout-ms', { min: 100, max: 600_000 }, DEFAULT_TIMEOUT_MS);
    const endpoints = flags.string('endpoints');
    const dir = flags.string('dir');
    if (endpoints !== undefined && dir !== undefined) throw new UsageError('give --endpoints or --dir, not both');
    if (dir !== undefined) {
      const authFlag = (['token-file', 'ca-file', 'cert-file', 'key-file'] as const).find((name) => flags.has(name));
      if (authFlag) throw new UsageError(`--${authFlag} goes with --endpoints; a --dir cluster's token is in its folder`);
      const file = await readClusterFile(dir);
      const auth = await loadAuth({ tokenFile: file.tokenFile });
      return new ClusterAccess(file.members.map((m) => m.url), auth, dir, timeoutMs);
    }
    if (endpoints === undefined) throw new UsageError('say which cluster: --endpoints URL,... or --dir DIR');
    const urls = endpoints.split(',').filter((url) => url.trim() !== '');
    if (urls.length === 0) throw new UsageError('--endpoints needs at least one URL');
    const bases = urls.map((url) => {
      try {
        return memberBaseUrl(url);
      } catch (error) {
        throw new UsageError(`--endpoints: ${(error as Error).message}`);
      }
    });
    const auth = await loadAuth({
      tokenFile: flags.string('token-file'),
      caFile: flags.string('ca-file'),
      certFile: flags.string('cert-file'),
      keyFile: flags.string('key-file'),
    });
    return new ClusterAccess([...new Set(bases)], auth, undefined, timeoutMs);
  }

  /**
   * An admin connection to every member, once each has answered or been found unreachable.
   * Throws when no member answers.
   */
  async connect(): Promise<ClusterConnection> {
    if (this.connection) return this.connection;
    const connection = new ClusterConnection(this.urls, {
      auth: this.auth,
      requestTimeoutMs: this.timeoutMs,
      connectTimeoutMs: Math.min(MAX_CONNECT_MS, this.timeoutMs),
      backoff: FAST_RECONNECT,
    });
    this.connection = connection;
    const settled = (c: ClusterConnection): boolean => c.memberViews().every((m) => m.status !== null || m.state === 'unreachable');
    await connection.waitUntil(settled, this.timeoutMs + MAX_CONNECT_MS, 'every member to answer').catch(() => {});
    if (!connection.memberViews().some((m) => m.status !== null)) {
      const why = connection.memberViews().map((m) => `${m.url}: ${m.lastError ?? m.state}`);
      throw new Error(`no member of the cluster answered (${why.join('; ')})`);
    }
    return connection;
  }

  /** The connection, once some member leads. */
  async connectToLeader(): Promise<ClusterConnection> {
    const connection = await this.connect();
    await connection.waitForLeader(this.timeoutMs);
    return connection;
  }

  kv(): KvClient {
    this.kvClient ??= new KvClient(this.urls, { auth: this.auth, timeoutMs: this.timeoutMs, connectTimeoutMs: Math.min(MAX_CONNECT_MS, this.timeoutMs) });
    return this.kvClient;
  }

  /**
   * With --dir: the hosted cluster's processes, adopted so that they can be killed, paused and
   * restarted (members that are not running are started). Undefined with --endpoints.
   */
  async host(): Promise<LocalCluster | undefined> {
    if (this.dir === undefined) return undefined;
    if (this.hosted) return this.hosted;
    // raftctl only borrows the members: Ctrl-C or an exit of raftctl must leave them running.
    this.hosted = await LocalCluster.open(this.dir, { restartOnExit: false, stopOnHostExit: false });
    return this.hosted;
  }

  /** Closes connections and lets go of adopted members, which keep running. */
  async close(): Promise<void> {
    this.connection?.close();
    this.kvClient?.close();
    await this.hosted?.detach();
  }
}
