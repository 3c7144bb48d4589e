// Members for transport tests: a Transport behind a tiny HTTP server on 127.0.0.1 that upgrades
// `/raft` and hands the socket over, recording everything the transport reports. Also a peer
// that accepts the WebSocket upgrade and then never reads, for backpressure.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { MAX_PEER_FRAME_BYTES } from '../../../src/node/transport/codec.ts';
import { Transport, type SnapshotReport, type TransportOptions } from '../../../src/node/transport/transport.ts';
import { MessageType, type Entry, type Message, type NodeId } from '../../../src/raft/types.ts';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export interface MemberOptions {
  transport?: Partial<TransportOptions>;
  /** Listen on this port (default: a free one). */
  port?: number;
  /** Serve wss:// with this certificate. */
  tls?: { cert: Buffer; key: Buffer };
  /** Answer 401 to upgrades without `Authorization: Bearer TOKEN`. */
  requireToken?: string;
}

export class Member {
  readonly received: Message[] = [];
  /** How many messages each onMessages call carried. */
  readonly deliveries: number[] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshotsSent: SnapshotReport[] = [];
  readonly logs: LogLine[] = [];
  readonly transport: Transport;
  private stopped = false;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PEER_FRAME_BYTES });

  private constructor(
    readonly id: NodeId,
    private readonly server: Server,
    readonly port: number,
    private readonly options: MemberOptions,
  ) {
    const log = (level: LogLine['level']) => (obj: object, msg = '') => this.logs.push({ level, obj, msg });
    this.transport = new Transport({
      id,
      cluster: 'test',
      advertise: this.url,
      log: { info: log('info'), warn: log('warn'), error: log('error') },
      onMessages: (messages) => {
        this.deliveries.push(messages.length);
        this.received.push(...messages);
      },
      onSnapshotSent: (report) => this.snapshotsSent.push(report),
      onUnreachable: (to) => this.unreachable.push(to),
      ...options.transport,
    });
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/raft') return socket.destroy();
      if (options.requireToken !== undefined && req.headers.authorization !== `Bearer ${options.requireToken}`) {
        return socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.transport.handleConnection(ws, req));
    });
  }

  static async start(id: NodeId, options: MemberOptions = {}): Promise<Member> {
    const server = options.tls ? createHttpsServer(options.tls) : createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    return new Member(id, server, address.port, options);
  }

  get url(): string {
    return `${this.options.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}`;
  }

  logged(level: LogLine['level'], pattern: RegExp): boolean {
    return this.logs.some((line) => line.level === level && pattern.test(line.msg));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.transport.close();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Connects every member to every other one and waits for the links. */
export async function mesh(members: Member[]): Promise<void> {
  for (const m of members) {
    m.transport.setPeers(Object.fromEntries(members.filter((o) => o !== m).map((o) => [o.id, o.url])));
  }
  await waitFor(() => members.every((m) => Object.values(m.transport.peerStats()).every((s) => s.connected)), 'every link connected');
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function message(from: NodeId, to: NodeId, fields: Partial<Message> = {}): Message {
  return { type: MessageType.Heartbeat, from, to, term: 1, logTerm: 0, index: 0, commit: 0, entries: [], reject: false, rejectHint: 0, context: '', ...fields };
}

export function entry(index: number, data: Uint8Array, term = 1): Entry {
  return { term, index, type: 0, data };
}

/**
 * A peer that completes the WebSocket upgrade, then stops reading: whatever is sent to it piles
 * up in the sender's buffers.
 */
export class StalledPeer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: TcpServer,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.once('data', (head) => {
        const key = /sec-websocket-key: *(\S+)/i.exec(head.toString('latin1'))?.[1] ?? '';
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        socket.pause();
      });
    });
  }

  static async start(): Promise<StalledPeer> {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    return new StalledPeer(server, address.port);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A throwaway CA and a certificate it signed for 127.0.0.1, made with the openssl CLI. */
export function makeTestTls(): { ca: Buffer; cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'transport-tls-'));
  try {
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 10_000 });
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=transport test CA');
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.pem', '-days', '1', '-extfile', 'san.ext');
    const read = (name: string) => readFileSync(join(dir, name));
    return { ca: read('ca.pem'), cert: read('node.pem'), key: read('node.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
