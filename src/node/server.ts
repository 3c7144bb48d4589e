// The node's one port (SPEC): WebSocket upgrades on /raft, /client and /admin (token checked
// before the upgrade), GET /metrics and GET /healthz, over http or https.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_BYTES } from '../shared/protocol/limits.ts';
import type { Logger } from './logger.ts';

export interface Routes {
  raft(ws: WebSocket, req: IncomingMessage): void;
  /** `socket` is the connection under `ws`, for batching its writes. */
  client(ws: WebSocket, socket: Duplex): void;
  admin(ws: WebSocket, req: IncomingMessage): void;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The small JSON body of GET /healthz. */
  health(): object;
}

export interface ServerOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  /** When set, /raft, /client and /admin need `Authorization: Bearer TOKEN`. */
  token?: string;
  /** Largest frame accepted on /raft (peer batches and snapshot chunks). */
  raftMaxPayload: number;
  log: Logger;
}

type Path = '/raft' | '/client' | '/admin';

export class NodeServer {
  private routes: Routes | undefined;
  private closing = false;
  private readonly sockets: Record<Path, WebSocketServer>;

  private constructor(
    private readonly server: Server,
    private readonly options: ServerOptions,
  ) {
    const frames = { noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES };
    this.sockets = {
      '/raft': new WebSocketServer({ ...frames, maxPayload: options.raftMaxPayload }),
      '/client': new WebSocketServer(frames),
      '/admin': new WebSocketServer(frames),
    };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** Binds the port; fails with one clear message (port in use, bad address, bad TLS files). */
  static async listen(options: ServerOptions): Promise<NodeServer> {
    let server: Server;
    try {
      server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createHttpServer();
    } catch (error) {
      throw new Error(`cannot use the TLS certificate and key: ${(error as Error).message}`);
    }
    const where = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${where}: ${listenProblem(error)}`)));
      server.listen(options.port, options.host, () => resolve());
    });
    return new NodeServer(server, options);
  }

  /** Starts serving; until then every path answers 503. */
  serve(routes: Routes): void {
    this.routes = routes;
  }

  /** Stops accepting connections and upgrades; open ones stay until close(). */
  stopAccepting(): void {
    if (this.closing) return;
    this.closing = true;
    this.server.close();
  }

  /** Closes every connection, peers' included, and the listening socket. */
  async close(): Promise<void> {
    this.stopAccepting();
    for (const path of ['/client', '/admin'] as const) {
      for (const ws of this.sockets[path].clients) ws.close(1001, 'the node is shutting down');
    }
    for (const ws of this.sockets['/raft'].clients) ws.terminate();
    this.server.closeAllConnections();
    await Promise.all(Object.values(this.sockets).map((wss) => new Promise((resolve) => wss.close(resolve))));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    const routes = this.serving();
    if (req.method !== 'GET' || (path !== '/healthz' && path !== '/metrics')) return reply(res, 404, 'application/json', '{"error":"not found"}');
    if (!routes) return reply(res, 503, 'application/json', '{"status":"starting"}');
    if (path === '/healthz') return reply(res, 200, 'application/json', JSON.stringify(routes.health()));
    try {
      const { contentType, body } = await routes.metrics();
      reply(res, 200, contentType, body);
    } catch (error) {
      this.options.log.error({ err: error }, 'collecting metrics failed');
      reply(res, 500, 'text/plain', 'collecting metrics failed\n');
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.options.log.debug({ err: error }, 'connection error during upgrade'));
    const path = pathOf(req);
    if (path !== '/raft' && path !== '/client' && path !== '/admin') return refuse(socket, 404, 'Not Found');
    if (!this.authorized(req)) return refuse(socket, 401, 'Unauthorized', 'WWW-Authenticate: Bearer\r\n');
    const routes = this.serving();
    if (!routes) return refuse(socket, 503, 'Service Unavailable');
    this.sockets[path].handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', (error) => this.options.log.debug({ err: error, path }, 'connection error'));
      if (path === '/client') routes.client(ws, socket);
      else routes[path === '/raft' ? 'raft' : 'admin'](ws, req);
    });
  }

  private serving(): Routes | undefined {
    return this.closing ? undefined : this.routes;
  }

  private authorized(req: IncomingMessage): boolean {
    const { token } = this.options;
    if (token === undefined) return true;
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) return false;
    // Equal-length digests, so the comparison takes the same time whatever was sent.
    return timingSafeEqual(digest(header.slice('Bearer '.length)), digest(token));
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://node').pathname;
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers an upgrade with a plain HTTP error and drops the connection. */
function refuse(socket: Duplex, status: number, reason: string, extraHeaders = ''): void {
  const body = JSON.stringify({ error: reason });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n${extraHeaders}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function listenProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'the port is already in use';
    case 'EADDRNOTAVAIL':
      return 'that address does not belong to this machine';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    default:
      return error.message;
  }
}
