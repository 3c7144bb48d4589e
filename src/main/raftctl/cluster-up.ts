// `cluster up`: host a local cluster in the foreground. Creates DIR's cluster (or reopens the one
// it holds), prints the members and a `ready` line once a leader is elected, then a line for every
// member start and exit until Ctrl-C, which stops the members cleanly.
import { existsSync } from 'node:fs';
import { ClusterConnection } from '../connection/cluster-connection.ts';
import { clusterFilePath, MAX_MEMBERS, readClusterFile } from '../hosting/cluster-file.ts';
import { LocalCluster, type HostEvent } from '../hosting/local-cluster.ts';
import { commandLine, isAlive } from '../hosting/node-process.ts';
import { UsageError } from './args.ts';
import type { Command } from './command.ts';
import type { Output } from './output.ts';

const DEFAULT_NODES = 3;
const LEADER_TIMEOUT_MS = 20_000;

export const clusterUpCommand: Command = {
  name: 'cluster up',
  operands: '',
  operandCount: [0, 0],
  summary: 'host a local cluster in DIR in the foreground until Ctrl-C',
  details: [
    'Starts N raft-node processes on free 127.0.0.1 ports, with a token, data and logs in DIR.',
    'When DIR already holds a cluster, it is reopened: running members are adopted, the rest started.',
    'Prints the members, then a line starting with "ready" once a leader is elected, then a line per',
    'member start or exit. Ctrl-C (or SIGTERM) stops the members cleanly; a second Ctrl-C kills them.',
    'Other raftctl commands reach it with --dir DIR.',
  ],
  flags: {
    dir: 'the cluster\'s folder (created if missing)',
    nodes: `how many members, 1 to ${MAX_MEMBERS} (default ${DEFAULT_NODES}; only for a new cluster)`,
    name: 'the cluster name given to every node (default "local"; only for a new cluster)',
  },
  requiredFlags: ['dir'],
  passThrough: 'raft-node flags for every member of a new cluster, e.g. -- --election-timeout 300-600',
  reachesCluster: false,
  async run({ flags, rest, out }) {
    const dir = flags.requiredString('dir');
    const nodes = flags.has('nodes') ? flags.int('nodes', { min: 1, max: MAX_MEMBERS }) : undefined;
    const cluster = existsSync(clusterFilePath(dir))
      ? await reopen(dir, nodes, flags.has('name') || rest.length > 0, out)
      : await create(dir, nodes ?? DEFAULT_NODES, flags.string('name'), rest, out);
    cluster.onEvent((event) => showEvent(out, event));
    process.on('SIGINT', () => onStop(cluster, dir, out));
    process.on('SIGTERM', () => onStop(cluster, dir, out));
    await announceReady(cluster, out);
    // The host's own signal handler stops the members and ends the process; until then, host.
    await new Promise(() => setInterval(() => {}, 2 ** 30));
    return 0;
  },
};

async function create(dir: string, nodes: number, name: string | undefined, nodeArgs: string[], out: Output): Promise<LocalCluster> {
  out.progress(`starting ${nodes} member${nodes === 1 ? '' : 's'} in ${dir}`);
  return LocalCluster.create({ dir, size: nodes, nodeArgs, ...(name === undefined ? {} : { name }) });
}

async function reopen(dir: string, nodes: number | undefined, newClusterFlags: boolean, out: Output): Promise<LocalCluster> {
  const file = await readClusterFile(dir);
  if (nodes !== undefined && nodes !== file.members.length) {
    throw new UsageError(`${dir} already holds a cluster of ${file.members.length} members; leave out --nodes or choose another folder`);
  }
  if (newClusterFlags) throw new UsageError(`${dir} already holds a cluster; its name and node flags are in cluster.json`);
  out.progress(`reopening the cluster in ${dir}`);
  return LocalCluster.open(dir);
}

async function announceReady(cluster: LocalCluster, out: Output): Promise<void> {
  const members = cluster.members().map(({ id, url, pid, logFile }) => ({ id, url, pid, logFile }));
  if (!out.json) out.table(['ID', 'URL', 'PID', 'LOG'], members.map((m) => [m.id, m.url, String(m.pid ?? '-'), m.logFile]));
  const connection = new ClusterConnection(cluster.urls(), { auth: await cluster.auth() });
  try {
    const leader = await connection.waitForLeader(LEADER_TIMEOUT_MS);
    const term = leader.status?.term ?? null;
    if (out.json) out.record({ event: 'ready', dir: cluster.dir, name: cluster.name, leader: leader.id, term, members });
    else out.line(`ready: ${members.length} member${members.length === 1 ? '' : 's'}, leader ${leader.id} (term ${term}); try: raftctl --dir ${cluster.dir} status`);
  } finally {
    connection.close();
  }
}

function showEvent(out: Output, event: HostEvent): void {
  if (out.json) return out.record(event);
  switch (event.type) {
    case 'started':
      return out.line(`${event.id} started (pid ${event.pid})`);
    case 'exited': {
      const how = event.signal ? `signal ${event.signal}` : `exit code ${event.code ?? 'unknown'}`;
      return out.line(`${event.id} exited (${how})${event.expected ? '' : ', not by this host'}`);
    }
    case 'paused':
    case 'resumed':
      return out.line(`${event.id} ${event.type}`);
    case 'added':
    case 'retired':
      return out.line(`${event.id} ${event.type} (${event.url})`);
    case 'error':
      return out.line(`error: ${event.message}`);
  }
}

/**
 * On Ctrl-C the host stops its own members. A member another raftctl restarted (a `fault kill
 * --revert-after` through --dir) is not its child: cluster.json has its pid; stop it too.
 */
function onStop(cluster: LocalCluster, dir: string, out: Output): void {
  out.progress('stopping the members (Ctrl-C again to kill them at once)');
  const own = new Set(cluster.members().map((m) => m.pid));
  void readClusterFile(dir).then(
    (file) => {
      for (const { pid, dataDir } of file.members) {
        if (pid === null || own.has(pid) || !isAlive(pid) || !commandLine(pid)?.includes(dataDir)) continue;
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          // It exited meanwhile.
        }
      }
    },
    () => {},
  );
}
