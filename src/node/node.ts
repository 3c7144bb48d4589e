// One raft-node process: opens the data directory (bootstrapping it from --peers when empty),
// builds the transport, the loop and the server, wires them together, and shuts down cleanly on
// SIGTERM or SIGINT.
import { readFileSync } from 'node:fs';
import { bootstrapEntry } from '../raft/confchange.ts';
import type { PersistedState } from '../raft/types.ts';
import { AdminEventFeed } from './admin-event-feed.ts';
import { serveAdmin, type FaultControl } from './admin-session.ts';
import { InFlightLimit, serveClient } from './client-session.ts';
import { createLogger, type Logger } from './logger.ts';
import { dataDirStorage } from './loop-storage.ts';
import { NodeMetrics, type MetricsSample } from './metrics.ts';
import { NodeError } from './node-error.ts';
import { buildNodeStatus } from './node-status.ts';
import { TICK_MS, timingTicks, type NodeOptions } from './options.ts';
import { RaftLoop } from './raft-loop.ts';
import { readSecrets, type Secrets } from './secrets.ts';
import { NodeServer } from './server.ts';
import { openDataDir, type DataDir } from './storage/index.ts';
import { MAX_PEER_FRAME_BYTES } from './transport/codec.ts';
import { Transport } from './transport/transport.ts';

/** How long a write or linearizable read waits before it is answered TIMEOUT. */
const REQUEST_TIMEOUT_MS = 5000;
/** Client requests in flight on the whole node before new ones are refused OVERLOADED. */
const MAX_IN_FLIGHT = 4096;
/** A clean shutdown that takes longer than this gives up and exits non-zero. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface RunningNode {
  /** Stops serving, finishes the write in progress, and closes the log, sockets and port. */
  close(): Promise<void>;
}

/** Starts the node; rejects with a message fit for one line of stderr when it cannot. */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const log = createLogger(options.id);
  const secrets = await readSecrets(options);
  const server = await NodeServer.listen({
    host: options.listen.host,
    port: options.listen.port,
    tls: secrets.tls,
    token: secrets.token,
    raftMaxPayload: MAX_PEER_FRAME_BYTES,
    log,
  });
  const metrics = new NodeMetrics();
  let dataDir: DataDir | undefined;
  try {
    dataDir = await openDataDir({
      dir: options.dataDir,
      id: options.id,
      cluster: options.cluster,
      fsync: options.fsync,
      log: (warning) => log.warn(warning),
      onWalSync: (seconds) => metrics.fsyncSeconds(seconds),
    });
    const state = await initialState(dataDir, options, log);
    if (options.unsafeLocalReads) log.warn({}, '--unsafe-local-reads: linearizable gets read local state; this node is NOT linearizable (test only)');
    const node = run(options, state, dataDir, server, secrets, metrics, log);
    process.once('SIGTERM', () => void shutdown(node, log, 'SIGTERM'));
    process.once('SIGINT', () => void shutdown(node, log, 'SIGINT'));
    return node;
  } catch (error) {
    await dataDir?.close();
    await server.close();
    throw error;
  }
}

/** What the node starts from: data on disk wins; an empty directory bootstraps or waits to join. */
async function initialState(dataDir: DataDir, options: NodeOptions, log: Logger): Promise<PersistedState> {
  if (!dataDir.fresh) {
    if (options.peers) log.info({ dataDir: options.dataDir }, 'the data directory holds state; ignoring --peers');
    return dataDir.state;
  }
  if (options.join) return { hardState: { term: 0, vote: '', commit: 0 }, entries: [] };
  if (!options.peers) {
    throw new Error(`data directory ${options.dataDir} is empty: give --peers ID=URL,... to bootstrap a new cluster or --join to be added to one`);
  }
  const state: PersistedState = {
    hardState: { term: 1, vote: '', commit: 1 },
    entries: [bootstrapEntry({ voters: Object.keys(options.peers), learners: [], urls: { ...options.peers } })],
  };
  // Durable before the core starts: it treats the entries it is given as already stored.
  await dataDir.wal.append(state.entries, state.hardState);
  log.info({ voters: Object.keys(options.peers) }, 'bootstrapped a new cluster');
  return state;
}

function run(
  options: NodeOptions,
  state: PersistedState,
  dataDir: DataDir,
  server: NodeServer,
  secrets: Secrets,
  metrics: NodeMetrics,
  log: Logger,
): RunningNode {
  const { id, cluster } = options;
  const startedAt = Date.now();
  // The transport first calls back after the loop has handed it peers, in a later turn of the
  // event loop, so both are assigned by then.
  let loop!: RaftLoop;
  let feed!: AdminEventFeed;
  const transport = new Transport({
    id,
    cluster,
    advertise: options.advertise,
    token: secrets.token,
    tls: secrets.tls?.ca ? { ca: secrets.tls.ca } : undefined,
    log,
    onMessages: (messages) => loop.receive(messages),
    onUnreachable: (to) => loop.reportUnreachable(to),
    onSnapshotSent: ({ to, ok, index, term, bytes, durationMs }) => {
      loop.reportSnapshot(to, ok);
      if (ok) feed.snapshotSent({ peer: to, index, term, bytes, durationMs });
    },
  });
  loop = new RaftLoop(
    {
      id,
      tickMs: TICK_MS,
      ...timingTicks(options),
      snapshotEntries: options.snapshotEntries,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      storage: dataDirStorage(dataDir),
      transport,
      metrics,
      onFatal: (error) => {
        log.fatal({ err: error }, 'the node cannot go on safely; exiting');
        process.exit(1);
      },
    },
    state,
  );
  const status = () =>
    buildNodeStatus({
      id,
      cluster,
      version: VERSION,
      startedAt,
      tickMs: TICK_MS,
      raft: () => loop.status(),
      appliedIndex: () => loop.applied(),
      snapshot: () => loop.snapshotStatus(),
      wal: () => {
        const { bytes, segments } = dataDir.wal.stats();
        return { bytes, segments };
      },
      faults: () => transport.faults(),
    });
  feed = new AdminEventFeed(id, loop, status);
  metrics.readFrom(() => metricsSample(loop, dataDir));
  const faults: FaultControl = {
    set: (spec) => {
      try {
        return transport.setFaults(spec);
      } catch (error) {
        throw new NodeError('BAD_REQUEST', (error as Error).message);
      }
    },
    clear: () => transport.clearFaults(),
  };
  const inFlight = new InFlightLimit(MAX_IN_FLIGHT);
  server.serve({
    raft: (ws, req) => transport.handleConnection(ws, req),
    client: (ws, socket) => serveClient(ws, socket, { loop, inFlight, log, unsafeLocalReads: options.unsafeLocalReads }),
    admin: (ws) => serveAdmin(ws, { loop, faults, feed, status, log }),
    metrics: () => metrics.text(),
    health: () => ({ status: 'serving', id, cluster }),
  });
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });
  log.info({ listen: options.listen, advertise: options.advertise, cluster, version: VERSION }, 'serving');

  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        server.stopAccepting();
        feed.stop();
        loop.stop();
        await loop.idle();
        await transport.close();
        await server.close();
        await dataDir.close();
      })()),
  };
}

function metricsSample(loop: RaftLoop, dataDir: DataDir): MetricsSample {
  const raft = loop.status();
  const lagEntries: Record<string, number> = {};
  for (const [peer, pr] of Object.entries(raft.progress ?? {})) lagEntries[peer] = Math.max(0, raft.lastIndex - pr.match);
  return {
    term: raft.term,
    isLeader: raft.role === 'leader',
    commitIndex: raft.commit,
    appliedIndex: loop.applied(),
    lastIndex: raft.lastIndex,
    snapshotBytes: loop.snapshotStatus().bytes,
    walBytes: dataDir.wal.stats().bytes,
    lagEntries,
  };
}

async function shutdown(node: RunningNode, log: Logger, signal: string): Promise<void> {
  log.info({ signal }, 'shutting down');
  setTimeout(() => {
    log.error(`shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS} ms; exiting`);
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS).unref();
  try {
    await node.close();
  } catch (error) {
    log.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
  log.info('stopped');
  process.exit(0);
}
