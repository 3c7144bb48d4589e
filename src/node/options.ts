// The raft-node command line (SPEC): every flag, its validation, and the --help text, all from one
// table. Pure: reads no files; the token and TLS files are read when the node starts.
import { isMemberUrl, MEMBER_ID_PATTERN } from '../shared/protocol/fields.ts';

export interface NodeOptions {
  id: string;
  dataDir: string;
  listen: { host: string; port: number };
  /** The URL other members reach this node at. */
  advertise: string;
  /** Initial voters by id (this node included), to bootstrap an empty data directory. */
  peers?: Record<string, string>;
  join: boolean;
  cluster: string;
  /** The shared secret comes from this file ... */
  tokenFile?: string;
  /** ... or from the RAFT_TOKEN environment variable. */
  envToken?: string;
  tls?: { certFile: string; keyFile: string; caFile?: string };
  electionTimeoutMs: { min: number; max: number };
  heartbeatMs: number;
  snapshotEntries: number;
  fsync: boolean;
  /** Test only: linearizable gets read local state (no ReadIndex), so drills can prove they catch it. */
  unsafeLocalReads: boolean;
}

export type ParseResult = { kind: 'options'; options: NodeOptions } | { kind: 'help'; text: string } | { kind: 'error'; message: string };

/** One tick of the consensus core. Election timeout and heartbeat are whole numbers of ticks. */
export const TICK_MS = 10;
const MAX_TIMEOUT_MS = 60_000;
const CLUSTER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface Flag {
  name: string;
  /** Placeholder for the value; absent for a switch. */
  value?: string;
  help: string;
  default?: string;
}

const FLAGS: Flag[] = [
  { name: 'id', value: 'ID', help: 'member id: 1 to 32 of a-z, 0-9 and "-", not starting with "-" (required)' },
  { name: 'data', value: 'DIR', help: 'data directory (write-ahead log, snapshots, metadata); created if missing (required)' },
  { name: 'listen', value: 'HOST:PORT', help: 'address to bind, e.g. 127.0.0.1:7001 or [::1]:7001 (required)' },
  { name: 'advertise', value: 'URL', help: 'the ws:// or wss:// URL other members use', default: 'this node\'s URL in --peers, else ws:// (wss:// with TLS) + the listen address' },
  { name: 'peers', value: 'ID=URL,...', help: 'initial voters, used only to bootstrap an empty data directory; must include this node' },
  { name: 'join', help: 'start with an empty configuration and wait to be added by a leader' },
  { name: 'cluster', value: 'NAME', help: 'cluster name; traffic from another cluster is refused', default: 'default' },
  { name: 'token-file', value: 'FILE', help: 'file holding the shared secret required on /raft, /client and /admin (or set RAFT_TOKEN); without one the node binds only loopback addresses' },
  { name: 'tls-cert', value: 'FILE', help: 'PEM certificate: serve https:// and wss:// (needs --tls-key)' },
  { name: 'tls-key', value: 'FILE', help: 'PEM private key of --tls-cert' },
  { name: 'tls-ca', value: 'FILE', help: 'PEM CA bundle that peers\' certificates must chain to when this node dials them' },
  { name: 'election-timeout', value: 'MIN-MAX', help: 'randomized election timeout, ms', default: '150-300' },
  { name: 'heartbeat', value: 'MS', help: 'leader heartbeat interval, ms; below the election timeout\'s MIN', default: '50' },
  { name: 'snapshot-entries', value: 'N', help: 'take a snapshot after N entries applied since the last one', default: '10000' },
  { name: 'fsync', value: 'on|off', help: 'fsync the log before acknowledging (off only for experiments)', default: 'on' },
  { name: 'unsafe-local-reads', help: 'TEST ONLY, breaks linearizability: answer linearizable gets from local state without ReadIndex (to prove a drill catches stale reads)' },
  { name: 'help', help: 'print this help and exit' },
];

export function helpText(): string {
  const width = Math.max(...FLAGS.map((f) => flagLabel(f).length));
  const lines = FLAGS.map((f) => {
    const text = f.default === undefined ? f.help : `${f.help} [default: ${f.default}]`;
    return `  ${flagLabel(f).padEnd(width)}  ${text}`;
  });
  return [
    'Usage: raft-node --id ID --data DIR --listen HOST:PORT (--peers ID=URL,... | --join) [options]',
    '',
    'One Raft member. One port serves /raft (peers), /client (key-value clients), /admin (telemetry',
    'and control), GET /metrics (Prometheus) and GET /healthz.',
    '',
    'Flags (also written --flag=value):',
    ...lines,
    '',
    'Environment: RAFT_TOKEN  the shared secret, when --token-file is not given.',
    '',
  ].join('\n');
}

function flagLabel(f: Flag): string {
  return f.value === undefined ? `--${f.name}` : `--${f.name} ${f.value}`;
}

class UsageError extends Error {}

/** Reads the command line (without `node` and the script) and the environment. Never throws. */
export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParseResult {
  try {
    const given = readFlags(argv);
    if (given.has('help')) return { kind: 'help', text: helpText() };
    return { kind: 'options', options: validate(given, env) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'error', message: error.message };
    throw error;
  }
}

function readFlags(argv: readonly string[]): Map<string, string> {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}" (flags start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const flag = FLAGS.find((f) => f.name === name);
    if (!flag) throw new UsageError(`unknown flag --${name} (see --help)`);
    if (given.has(name)) throw new UsageError(`--${name} is given more than once`);
    if (flag.value === undefined) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      given.set(name, '');
    } else if (eq !== -1) {
      given.set(name, arg.slice(eq + 1));
    } else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value: --${name} ${flag.value}`);
      given.set(name, value);
      i++;
    }
  }
  return given;
}

function validate(given: Map<string, string>, env: Readonly<Record<string, string | undefined>>): NodeOptions {
  const required = (name: string): string => {
    const value = given.get(name);
    if (value === undefined) throw new UsageError(`--${name} is required (see --help)`);
    if (value === '') throw new UsageError(`--${name} must not be empty`);
    return value;
  };

  const id = required('id');
  if (!MEMBER_ID_PATTERN.test(id)) throw new UsageError(`--id "${id}" is not a member id: 1 to 32 of a-z, 0-9 and "-", not starting with "-"`);
  const dataDir = required('data');
  const listen = parseListen(required('listen'));
  const tokenFile = given.get('token-file');
  if (tokenFile === '') throw new UsageError('--token-file must not be empty');
  const envToken = env.RAFT_TOKEN === undefined || env.RAFT_TOKEN === '' ? undefined : env.RAFT_TOKEN;
  if (tokenFile === undefined && envToken === undefined && !isLoopback(listen.host)) {
    throw new UsageError(`refusing to listen on ${listen.host} without a token: give --token-file FILE or RAFT_TOKEN, or listen on a loopback address`);
  }

  const join = given.has('join');
  const peers = given.has('peers') ? parsePeers(given.get('peers') ?? '', id) : undefined;
  if (join && peers) throw new UsageError('give either --peers (bootstrap a new cluster) or --join (wait to be added), not both');

  const cluster = given.get('cluster') ?? 'default';
  if (!CLUSTER_PATTERN.test(cluster)) throw new UsageError(`--cluster "${cluster}" must be 1 to 64 of A-Z, a-z, 0-9, ".", "_" and "-", starting with a letter or digit`);

  const tls = parseTls(given);
  const advertise = parseAdvertise(given.get('advertise'), peers?.[id], listen, tls !== undefined);


  const electionTimeoutMs = parseElectionTimeout(given.get('election-timeout') ?? '150-300');
  const heartbeatMs = parseInteger('heartbeat', given.get('heartbeat') ?? '50', TICK_MS, MAX_TIMEOUT_MS);
  if (heartbeatMs >= electionTimeoutMs.min) {
    throw new UsageError(`--heartbeat ${heartbeatMs} must be below the election timeout's minimum (${electionTimeoutMs.min} ms)`);
  }
  const snapshotEntries = parseInteger('snapshot-entries', given.get('snapshot-entries') ?? '10000', 1, 100_000_000);
  const fsync = parseOnOff('fsync', given.get('fsync') ?? 'on');

  const unsafeLocalReads = given.has('unsafe-local-reads');

  return { id, dataDir, listen, advertise, peers, join, cluster, tokenFile, envToken, tls, electionTimeoutMs, heartbeatMs, snapshotEntries, fsync, unsafeLocalReads };
}

/** Ticks for the consensus core: heartbeat below the election timeout's minimum, both at least 1. */
export function timingTicks(options: Pick<NodeOptions, 'electionTimeoutMs' | 'heartbeatMs'>): {
  heartbeatTicks: number;
  electionTicksMin: number;
  electionTicksMax: number;
} {
  const heartbeatTicks = Math.max(1, Math.round(options.heartbeatMs / TICK_MS));
  const electionTicksMin = Math.max(heartbeatTicks + 1, Math.round(options.electionTimeoutMs.min / TICK_MS));
  const electionTicksMax = Math.max(electionTicksMin, Math.round(options.electionTimeoutMs.max / TICK_MS));
  return { heartbeatTicks, electionTicksMin, electionTicksMax };
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (!match) throw new UsageError(`--listen "${text}" must be HOST:PORT, e.g. 127.0.0.1:7001 or [::1]:7001`);
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new UsageError(`--listen "${text}": port must be from 1 to 65535`);
  return { host: match[1] ?? match[2], port };
}

function parsePeers(text: string, id: string): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const item of text.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--peers: "${item}" must be ID=URL, e.g. n1=ws://127.0.0.1:7001`);
    const [peerId, url] = [item.slice(0, eq), item.slice(eq + 1)];
    if (!MEMBER_ID_PATTERN.test(peerId)) throw new UsageError(`--peers: "${peerId}" is not a member id`);
    if (!isMemberUrl(url)) throw new UsageError(`--peers: ${peerId}'s URL "${url}" must be a ws:// or wss:// URL with a host`);
    if (Object.hasOwn(peers, peerId)) throw new UsageError(`--peers names ${peerId} more than once`);
    peers[peerId] = url;
  }
  if (!Object.hasOwn(peers, id)) throw new UsageError(`--peers must include this node (${id})`);
  return peers;
}

function parseTls(given: Map<string, string>): NodeOptions['tls'] {
  const [certFile, keyFile, caFile] = [given.get('tls-cert'), given.get('tls-key'), given.get('tls-ca')];
  if (certFile === undefined && keyFile === undefined) {
    if (caFile !== undefined) throw new UsageError('--tls-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  if (!certFile || !keyFile) throw new UsageError('--tls-cert and --tls-key go together');
  if (caFile === '') throw new UsageError('--tls-ca must not be empty');
  return caFile === undefined ? { certFile, keyFile } : { certFile, keyFile, caFile };
}

function parseAdvertise(given: string | undefined, inPeers: string | undefined, listen: { host: string; port: number }, tls: boolean): string {
  if (given !== undefined) {
    if (!isMemberUrl(given)) throw new UsageError(`--advertise "${given}" must be a ws:// or wss:// URL with a host`);
    if (inPeers !== undefined && new URL(inPeers).href !== new URL(given).href) {
      throw new UsageError(`--advertise ${given} differs from this node's URL in --peers (${inPeers})`);
    }
    return given;
  }
  if (inPeers !== undefined) return inPeers;
  if (isUnspecified(listen.host)) throw new UsageError(`--advertise is required when listening on ${listen.host}`);
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `${tls ? 'wss' : 'ws'}://${host}:${listen.port}`;
}

function parseElectionTimeout(text: string): { min: number; max: number } {
  const match = /^(\d+)-(\d+)$/.exec(text);
  if (!match) throw new UsageError(`--election-timeout "${text}" must be MIN-MAX in ms, e.g. 150-300`);
  const [min, max] = [Number(match[1]), Number(match[2])];
  if (min < 2 * TICK_MS || max > MAX_TIMEOUT_MS || min > max) {
    throw new UsageError(`--election-timeout "${text}": need ${2 * TICK_MS} <= MIN <= MAX <= ${MAX_TIMEOUT_MS}`);
  }
  return { min, max };
}

function parseInteger(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} "${text}" must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function parseOnOff(name: string, text: string): boolean {
  if (text !== 'on' && text !== 'off') throw new UsageError(`--${name} "${text}" must be on or off`);
  return text === 'on';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
